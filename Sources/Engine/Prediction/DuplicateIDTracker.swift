/// The ids of one chunk's predicted rows, in file order, in a compact form.
///
/// Canonical non-negative integers (`0`, `17`, `123456`, unquoted, no sign or leading zeros,
/// at most 18 digits) on consecutive lines with consecutive values are kept as runs, so a file
/// numbered 1, 2, 3, … costs one entry per chunk. Any other id is kept as a 64-bit hash of its
/// bytes with its line.
struct RowIDLog: Sendable {
    /// Consecutive integer ids on consecutive lines.
    struct Run: Sendable, Equatable {
        var firstID: UInt64
        var firstLine: Int
        var count: Int

        var lastID: UInt64 { firstID + UInt64(count) - 1 }
    }

    /// The runs, in file order.
    var runs: [Run] { openRun.map { closedRuns + [$0] } ?? closedRuns }
    private var closedRuns: [Run] = []
    /// The run the next id may extend: a plain field, so extending it (once per row) touches no
    /// array.
    private var openRun: Run?
    /// Hashes of the ids that are not canonical integers, with their lines.
    private(set) var hashed: [(hash: UInt64, line: Int)] = []

    /// Records the id in `bytes[field]` of the row on `line`.
    mutating func record(_ bytes: UnsafeBufferPointer<UInt8>, _ field: FieldSpan, line: Int) {
        guard !field.isQuoted, let id = Self.canonicalInteger(bytes, field.start, field.end) else {
            hashed.append((Self.hash(bytes, field), line))
            return
        }
        record(integer: id, line: line)
    }

    /// Records a canonical integer id (already parsed) of the row on `line`.
    mutating func record(integer id: UInt64, line: Int) {
        if let open = openRun, id == open.firstID &+ UInt64(open.count), line == open.firstLine + open.count {
            openRun!.count += 1
        } else {
            if let open = openRun { closedRuns.append(open) }
            openRun = Run(firstID: id, firstLine: line, count: 1)
        }
    }

    /// Whether `length` digits starting with `first` spell a canonical integer id: 1–18 digits
    /// (so it fits a UInt64 with room), no leading zero but for `0` itself.
    @inline(__always)
    static func isCanonical(digits length: Int, first: UInt8) -> Bool {
        length >= 1 && length <= 18 && (length == 1 || first != UInt8(ascii: "0"))
    }

    /// The value of a canonical decimal integer, or nil.
    static func canonicalInteger(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64? {
        guard end > start, isCanonical(digits: end - start, first: bytes[start]) else { return nil }
        var value: UInt64 = 0
        for p in start..<end {
            let digit = bytes[p] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ UInt64(digit)
        }
        return value
    }

    /// FNV-1a over the id's bytes.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ field: FieldSpan) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for p in field.start..<field.end {
            hash = (hash ^ UInt64(bytes[p])) &* 0x100_0000_01b3
        }
        return hash
    }
}

/// Finds ids seen before in a file, fed chunk by chunk in file order.
///
/// Integer ids are kept as sorted, disjoint ranges, so ids that arrive in order (the usual
/// `1…n` numbering) take a few bytes however long the file is; other ids cost one hash each.
struct DuplicateIDTracker {
    /// Sorted, disjoint and non-adjacent.
    private var ranges: [ClosedRange<UInt64>] = []
    private var hashes = Set<UInt64>()

    /// Adds one chunk's ids; `duplicate` is called with the line of every row whose id was
    /// already seen, in file order.
    mutating func add(_ log: RowIDLog, duplicate: (Int) -> Void) {
        // Walk runs and hashed ids together so duplicates are reported in line order.
        var run = 0
        var other = 0
        let runs = log.runs
        while run < runs.count || other < log.hashed.count {
            if other == log.hashed.count || (run < runs.count && runs[run].firstLine < log.hashed[other].line) {
                insert(runs[run], duplicate: duplicate)
                run += 1
            } else {
                if !hashes.insert(log.hashed[other].hash).inserted { duplicate(log.hashed[other].line) }
                other += 1
            }
        }
    }

    /// How many ranges the integer ids take (for tests: memory stays flat for ordered ids).
    var rangeCount: Int { ranges.count }

    private mutating func insert(_ run: RowIDLog.Run, duplicate: (Int) -> Void) {
        let low = run.firstID
        let high = run.lastID
        // Fast path: ids beyond everything seen so far.
        if let last = ranges.last, last.upperBound < low {
            if last.upperBound + 1 == low {
                ranges[ranges.count - 1] = last.lowerBound...high
            } else {
                ranges.append(low...high)
            }
            return
        }
        // First range that ends at or after low - 1 (it may touch or overlap the run).
        let touchLow = low == 0 ? 0 : low - 1
        var first = 0
        var upper = ranges.count
        while first < upper {
            let middle = (first + upper) / 2
            if ranges[middle].upperBound < touchLow { first = middle + 1 } else { upper = middle }
        }
        var merged = low...high
        var end = first
        while end < ranges.count && ranges[end].lowerBound <= high + 1 {
            let existing = ranges[end]
            let overlapLow = max(existing.lowerBound, low)
            let overlapHigh = min(existing.upperBound, high)
            if overlapLow <= overlapHigh {
                for id in overlapLow...overlapHigh { duplicate(run.firstLine + Int(id - low)) }
            }
            merged = min(merged.lowerBound, existing.lowerBound)...max(merged.upperBound, existing.upperBound)
            end += 1
        }
        ranges.replaceSubrange(first..<end, with: [merged])
    }
}
