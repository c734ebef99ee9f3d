/*
 * CFiles.h (the Files module's C shim): starting the kernel's writeback of a file range early, so that a later fsync
 * has little left to wait for (Linux sync_file_range, which Swift's Glibc module leaves out
 * because it is a GNU extension).
 */
#ifndef IW_WRITEBACK_H
#define IW_WRITEBACK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Starts writing the dirty pages of fd's bytes offset..<offset+count to disk without waiting
/// for them (sync_file_range with SYNC_FILE_RANGE_WRITE only). Durability still needs fsync;
/// this only moves the disk work earlier, alongside the caller's. Returns 0, or -1 with errno
/// (e.g. ESPIPE for a pipe); failure is harmless: fsync then does all the work.
int iw_start_writeback(int fd, int64_t offset, int64_t count);

#ifdef __cplusplus
}
#endif

#endif
