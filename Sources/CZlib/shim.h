#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
// zlib from Debian (zlib1g-dev): deflate with a gzip wrapper for `.gz` archived inputs, and
// inflate for `.csv.gz` inputs and the Parquet reader's GZIP pages.
#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass ZLIB_VERSION and sizeof(z_stream)), which
// Swift cannot call; these wrap them.

/// Starts a deflate stream that writes the gzip format (RFC 1952) at `level` (0-9).
static inline int CZlib_deflateInitGzip(z_streamp stream, int level) {
    // windowBits 15 + 16 selects the gzip header and trailer; memLevel 8 is zlib's default.
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// Starts an inflate stream that reads one gzip member (RFC 1952); `inflateReset` starts the next.
static inline int CZlib_inflateInitGzip(z_streamp stream) {
    // windowBits 15 + 16 accepts the gzip wrapper only, so a zlib or raw stream is an error.
    return inflateInit2(stream, 15 + 16);
}

/// Starts an inflate stream that reads zlib or gzip data (the header tells which).
static inline int CZlib_inflateInitAuto(z_streamp stream) {
    // windowBits 15 + 32 detects a zlib or gzip header automatically.
    return inflateInit2(stream, 15 + 32);
}

#endif
