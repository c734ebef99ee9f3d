#ifndef CSNAPPY_SHIM_H
#define CSNAPPY_SHIM_H
// Snappy from Debian (libsnappy-dev): the C API (snappy_uncompress,
// snappy_uncompressed_length) that the Parquet reader uses for SNAPPY pages. Plain C
// functions, so no helpers are needed.
#include <snappy-c.h>
#endif
