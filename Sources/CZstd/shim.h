#ifndef CZSTD_SHIM_H
#define CZSTD_SHIM_H
// Zstandard from Debian (libzstd-dev): the streaming API (ZSTD_compressStream2) that the
// archive uses to store inputs as .zst without holding them in memory. Every function the
// archive needs is a plain C function, so no helpers are needed yet; add them here,
// prefixed `CZstd_`, when a macro or variadic needs wrapping.
#include <zstd.h>
#endif
