import Glibc

/// Heap memory for decoded values and scratch space, with no per-value bookkeeping.
///
/// `@unchecked Sendable` because a buffer is written only by the decoder that allocated it,
/// before it is handed out inside a `ParquetColumnData`; from then on it is only read.
final class RawBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int

    /// Uninitialized memory for `capacity` bytes; a typed error (not a crash) when malloc fails.
    init(capacity: Int) throws(ParquetError) {
        guard capacity >= 0, let base = malloc(Swift.max(capacity, 1)) else {
            throw ParquetError(.corruptMetadata, "cannot allocate \(capacity) bytes: the file claims more values than fit in memory")
        }
        self.base = base
        self.capacity = capacity
    }

    /// Grows to at least `needed` bytes (doubling), keeping the contents.
    func reserve(_ needed: Int) throws(ParquetError) {
        guard needed > capacity else { return }
        let grown = Swift.max(needed, capacity * 2)
        guard let moved = realloc(base, grown) else {
            throw ParquetError(.corruptMetadata, "cannot allocate \(grown) bytes: the file claims more values than fit in memory")
        }
        base = moved
        capacity = grown
    }

    deinit { free(base) }
}
