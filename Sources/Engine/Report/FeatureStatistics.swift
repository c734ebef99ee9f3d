import CKernels

/// Statistics of one numeric feature, gathered in the pass that predicts: counts, min, max,
/// mean and standard deviation over every value, and a histogram (of every fourth row for float
/// features, every row for int64 ones) at a quarter of a power of two's resolution, which a report
/// draws as a sparkline. Mergeable, so chunks are summarized apart and merged in file order (the
/// result does not depend on the number of threads).
///
/// Memory is fixed: 2,048 counters whatever the number of rows.
public struct NumericSummary: Sendable, Equatable {
    /// Values present.
    public internal(set) var count = 0
    /// Empty values (NaN).
    public internal(set) var missing = 0
    public internal(set) var minimum = Double.infinity
    public internal(set) var maximum = -Double.infinity
    public internal(set) var mean = 0.0
    var sumOfSquaredDeviations = 0.0
    /// Counts per bucket of a value's float32 bits 31…21: sign, exponent and two bits of
    /// mantissa, so each power of two is cut in four.
    var buckets = [UInt32](repeating: 0, count: NumericSummary.bucketCount)

    static let bucketCount = 2048
    static let bucketShift: UInt32 = 21

    public init() {}

    /// The sample standard deviation (ddof = 1); nil for fewer than two values.
    public var standardDeviation: Double? {
        count > 1 ? (Swift.max(sumOfSquaredDeviations, 0) / Double(count - 1)).squareRoot() : nil
    }

    /// Adds `rows` values found `stride` floats apart from `base`, one batch's column (in C:
    /// CKernels' DriftBins.h, vectorized: this runs on every value of every job).
    @inline(__always)
    mutating func add(_ base: UnsafePointer<Float>, stride: Int, rows: Int) {
        guard rows > 0 else { return }
        // Sums of deviations from the batch's first value, folded in below (Chan et al.).
        let shift = Double(base[0].isNaN ? 0 : base[0])
        let batch = buckets.withUnsafeMutableBufferPointer { iw_column_stats_f32(base, stride, rows, shift, $0.baseAddress!) }
        missing += batch.missing
        fold(
            present: rows - batch.missing, shift: shift, sum: batch.sum, sumOfSquares: batch.sum_of_squares, low: Double(batch.low),
            high: Double(batch.high))
    }

    /// Adds one batch's int64 column (read as doubles).
    mutating func add(_ base: UnsafePointer<Int64>, stride: Int, rows: Int) {
        guard rows > 0 else { return }
        let shift = Double(base[0])
        var sum = 0.0
        var sumOfSquares = 0.0
        var low = Double.infinity
        var high = -Double.infinity
        for row in 0..<rows {
            let value = Double(base[row * stride])
            low = Swift.min(low, value)
            high = Swift.max(high, value)
            sum += value - shift
            sumOfSquares += (value - shift) * (value - shift)
            buckets[Int(Float(value).bitPattern >> Self.bucketShift)] &+= 1
        }
        fold(present: rows, shift: shift, sum: sum, sumOfSquares: sumOfSquares, low: low, high: high)
    }

    private mutating func fold(present: Int, shift: Double, sum: Double, sumOfSquares: Double, low: Double, high: Double) {
        guard present > 0 else { return }
        let n = Double(present)
        var batch = NumericSummary.Moments(count: present, mean: shift + sum / n, sumOfSquaredDeviations: sumOfSquares - sum * sum / n)
        batch.sumOfSquaredDeviations = Swift.max(batch.sumOfSquaredDeviations, 0)
        mergeMoments(batch)
        minimum = Swift.min(minimum, low)
        maximum = Swift.max(maximum, high)
    }

    struct Moments {
        var count: Int
        var mean: Double
        var sumOfSquaredDeviations: Double
    }

    private mutating func mergeMoments(_ other: Moments) {
        guard other.count > 0 else { return }
        let total = count + other.count
        let delta = other.mean - mean
        mean += delta * Double(other.count) / Double(total)
        sumOfSquaredDeviations +=
            other.sumOfSquaredDeviations + delta * delta * Double(count) * Double(other.count) / Double(total)
        count = total
    }

    /// Combines another summary of the same feature into this one.
    mutating func merge(_ other: NumericSummary) {
        missing += other.missing
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        mergeMoments(Moments(count: other.count, mean: other.mean, sumOfSquaredDeviations: other.sumOfSquaredDeviations))
        buckets.withUnsafeMutableBufferPointer { mine in
            other.buckets.withUnsafeBufferPointer { theirs in
                for k in 0..<min(mine.count, theirs.count) { mine[k] &+= theirs[k] }
            }
        }
    }

    /// A histogram of `bins` equal widths from the minimum to the maximum, for a sparkline,
    /// scaled to ``count`` values.
    ///
    /// It is an estimate: the buckets hold every fourth row, and each bucket's count is spread
    /// evenly over the part of the range it covers, so the shape is right to a quarter of a power
    /// of two: a feature whose values all lie within one bucket (say 100 to 101) draws flat.
    public func histogram(bins: Int) -> [Double] {
        let sampled = buckets.reduce(0) { $0 + Int($1) }
        guard count > 0, bins > 0, sampled > 0 else { return [] }
        let scale = Double(count) / Double(sampled)
        var result = [Double](repeating: 0, count: bins)
        let width = (maximum - minimum) / Double(bins)
        for bucket in buckets.indices where buckets[bucket] != 0 {
            let (low, high) = Self.bucketRange(bucket)
            let from = Swift.max(low, minimum)
            let to = Swift.min(high, maximum)
            let count = Double(buckets[bucket]) * scale
            guard width > 0, to > from else {
                let at = width > 0 ? Int(((Swift.min(Swift.max(low, minimum), maximum) - minimum) / width)) : 0
                result[Swift.min(Swift.max(at, 0), bins - 1)] += count
                continue
            }
            let first = Swift.min(Int((from - minimum) / width), bins - 1)
            let last = Swift.min(Int((to - minimum) / width), bins - 1)
            for bin in first...last {
                let binLow = minimum + Double(bin) * width
                let overlap = Swift.min(to, binLow + width) - Swift.max(from, binLow)
                result[bin] += count * Swift.max(overlap, 0) / (to - from)
            }
        }
        return result
    }

    /// The values a bucket holds: from its float bits' lowest to the next bucket's, ordered.
    static func bucketRange(_ bucket: Int) -> (Double, Double) {
        let bits = UInt32(bucket) << bucketShift
        let magnitude = bits & 0x7FFF_FFFF
        let low = Double(Float(bitPattern: magnitude))
        let high = Double(Float(bitPattern: magnitude &+ (1 << bucketShift)))
        return bits & 0x8000_0000 == 0 ? (low, high) : (-high, -low)
    }
}

/// Statistics of one string feature: counts, and how often each value appears (up to
/// ``CategorySummary/maximumDistinct`` values; the rest are counted together).
public struct CategorySummary: Sendable, Equatable {
    /// Values present (not empty).
    public internal(set) var count = 0
    /// Empty values.
    public internal(set) var missing = 0
    /// Occurrences per value, for the first ``maximumDistinct`` distinct values met.
    public internal(set) var frequencies: [String: Int] = [:]
    /// Values not in ``frequencies`` because it was full.
    public internal(set) var uncounted = 0

    /// Distinct values counted per column: bounds memory on a column of ids.
    public static let maximumDistinct = 1000

    public init() {}

    mutating func add(_ value: String) {
        if value.isEmpty {
            missing += 1
            return
        }
        count += 1
        tally(value, 1)
    }

    mutating func merge(_ other: CategorySummary) {
        count += other.count
        missing += other.missing
        for (value, n) in other.frequencies { tally(value, n) }
        uncounted += other.uncounted
    }

    /// Counts `n` occurrences of `value`, in ``uncounted`` once ``frequencies`` is full.
    private mutating func tally(_ value: String, _ n: Int) {
        if let index = frequencies.index(forKey: value) {
            frequencies.values[index] += n
        } else if frequencies.count < Self.maximumDistinct {
            frequencies[value] = n
        } else {
            uncounted += n
        }
    }

    /// The most frequent values, most frequent first (ties by value).
    public func top(_ n: Int) -> [(value: String, count: Int)] {
        frequencies.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(n).map { ($0.key, $0.value) }
    }
}

/// One feature's statistics in a report.
public struct FeatureSummary: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case numeric(NumericSummary)
        case string(CategorySummary)
    }

    /// The column's name.
    public var name: String
    public var values: Values

    /// Values present.
    public var count: Int {
        switch values {
        case .numeric(let summary): summary.count
        case .string(let summary): summary.count
        }
    }

    /// Empty values.
    public var missing: Int {
        switch values {
        case .numeric(let summary): summary.missing
        case .string(let summary): summary.missing
        }
    }
}
