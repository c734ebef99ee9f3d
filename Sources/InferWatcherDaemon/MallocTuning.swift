import CMalloc

/// How this process asks glibc's `malloc` to treat the engine's chunk buffers.
///
/// Every chunk of a run has a 1 MiB input buffer and an output buffer of about 2 MiB, freed once
/// the chunk is written. glibc serves sizes like these with fresh `mmap`ed pages, at least until
/// its adaptive threshold catches up, and gives them back on `free`, so each chunk's pages were
/// faulted in and zeroed again: about 140,000 page faults and 0.3 s of kernel time per 10M rows.
/// With the thresholds below the freed buffers stay in the heap and the next chunk reuses the
/// same pages (about 6,000 faults).
///
/// One arena for all threads: buffers are allocated on one thread and freed on another, and
/// with an arena per thread the holes they left grew peak RSS with the file's length (10M rows
/// 53–58 MB against 48 MB for 1M). With one arena it stays within the 10% the speed targets
/// allow; the engine allocates a few large buffers per chunk, so the arena's lock is not a
/// bottleneck.
public enum MallocTuning {
    /// One arena; allocations up to 64 MiB from the heap; up to 128 MiB of free heap kept.
    /// Called once, first thing in `main`, before any thread starts.
    public static func keepChunkBuffers() {
        _ = mallopt(M_ARENA_MAX, 1)
        _ = mallopt(M_MMAP_THRESHOLD, 64 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 128 << 20)
    }

    /// Gives the memory a finished job freed back to the system, so an idle daemon stays small.
    public static func returnFreeMemory() {
        _ = malloc_trim(0)
    }
}
