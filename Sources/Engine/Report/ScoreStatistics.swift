/// Streaming summary of prediction scores: count, class split, mean, sample std, min, max and
/// the five-bin distribution of the Python original.
///
/// Mean and variance use Welford's update and Chan's merge, so partial summaries of chunks can be
/// combined; merging in file order makes the result independent of the number of threads.
public struct ScoreStatistics: Sendable, Equatable {
    /// Upper bin edges: bins are `(a, b]` like `pd.cut`, except that 0.0 falls in the first bin.
    public static let binEdges: [Double] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]

    public private(set) var count = 0
    /// Rows whose class is 1 (score ≥ threshold); binary models only.
    public private(set) var positive = 0
    public private(set) var mean = 0.0
    private var sumOfSquaredDeviations = 0.0
    public private(set) var minimum = Double.infinity
    public private(set) var maximum = -Double.infinity
    /// Counts per bin of ``binEdges``.
    public private(set) var histogram = [Int](repeating: 0, count: 5)

    public init() {}

    /// Sets how many of the scores are positive, when that is known only after all were added
    /// (a predictions file whose classes are a model's own labels).
    mutating func setPositiveCount(_ count: Int) {
        positive = count
    }

    /// Adds one score.
    @inline(__always)
    public mutating func add(_ score: Double, positive isPositive: Bool) {
        count += 1
        if isPositive { positive += 1 }
        let delta = score - mean
        mean += delta / Double(count)
        sumOfSquaredDeviations += delta * (score - mean)
        if score < minimum { minimum = score }
        if score > maximum { maximum = score }
        if score >= 0 && score <= 1 {
            let bin = score <= 0.2 ? 0 : score <= 0.4 ? 1 : score <= 0.6 ? 2 : score <= 0.8 ? 3 : 4
            histogram[bin] += 1
        }
    }

    /// Combines another summary into this one (Chan et al.'s parallel variance).
    public mutating func merge(_ other: ScoreStatistics) {
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let total = count + other.count
        let delta = other.mean - mean
        let newMean = mean + delta * Double(other.count) / Double(total)
        sumOfSquaredDeviations +=
            other.sumOfSquaredDeviations
            + delta * delta * Double(count) * Double(other.count) / Double(total)
        mean = newMean
        count = total
        positive += other.positive
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        for bin in 0..<histogram.count { histogram[bin] += other.histogram[bin] }
    }

    /// Rows whose class is 0.
    public var negative: Int { count - positive }

    /// The sample standard deviation (pandas' default, ddof = 1); nil for fewer than two scores.
    public var standardDeviation: Double? {
        count > 1 ? (Swift.max(sumOfSquaredDeviations, 0) / Double(count - 1)).squareRoot() : nil
    }
}
