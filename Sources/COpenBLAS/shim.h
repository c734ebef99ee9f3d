#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
// Debian's libopenblas-dev installs cblas.h under the openblas-pthread include
// directory that pkg-config (openblas.pc) adds to the search path.
#include <cblas.h>
#endif
