#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
// zlib from Debian (zlib1g-dev): deflate with a gzip wrapper for `.gz` archived inputs.
#include <zlib.h>

// deflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), which Swift cannot
// call; this wraps it.

/// Starts a deflate stream that writes the gzip format (RFC 1952) at `level` (0-9).
static inline int CZlib_deflateInitGzip(z_streamp stream, int level) {
    // windowBits 15 + 16 selects the gzip header and trailer; memLevel 8 is zlib's default.
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif
