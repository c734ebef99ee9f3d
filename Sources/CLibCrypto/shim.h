#ifndef CLIBCRYPTO_SHIM_H
#define CLIBCRYPTO_SHIM_H
// OpenSSL's EVP digest API (libssl-dev): SHA-256 with the CPU's SHA extensions where present.
#include <openssl/evp.h>
#endif
