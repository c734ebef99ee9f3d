/// What a run learns of its features besides predicting them, and how: each feature's type, the
/// reference's bins when drift is checked, and whether every value is kept (for a profile).
/// Immutable and shared by every worker.
struct FeatureStatisticsPlan: Sendable {
    /// The features' names, in model order.
    let names: [String]
    /// How each feature is read.
    let types: [ModelInput.ValueType]
    /// The reference's bins, when the run checks drift.
    let binning: DriftBinning?
    /// Keep every numeric value and score (`inferwatcher profile` takes their quantiles).
    let keepValues: Bool
}

/// One chunk's feature statistics, drift counts and, for a profile, values; merged in file order.
///
/// Memory is per feature, not per row (2,048 counters and the reference's bins), except in a
/// profile, which keeps every value.
struct FeatureAccumulator: Sendable {
    /// Per feature; used for float and int64 features.
    var numeric: [NumericSummary]
    /// Per feature; used for string features.
    var categories: [CategorySummary]
    /// Per feature, when drift is checked.
    var drift: [DriftCounts]
    /// The score's drift counts, when drift is checked.
    var scoreDrift: DriftCounts?
    /// Profile only: each numeric feature's values (NaN for missing) and every score.
    var keptValues: [[Double]]
    var keptScores: [Double] = []

    init(plan: FeatureStatisticsPlan) {
        let count = plan.types.count
        numeric = plan.types.map { $0 == .string ? NumericSummary.empty : NumericSummary() }
        categories = [CategorySummary](repeating: CategorySummary(), count: count)
        drift = plan.binning?.features.map { DriftCounts(binCount: $0.binCount) } ?? []
        scoreDrift = plan.binning.map { DriftCounts(binCount: $0.score.binCount) }
        keptValues = plan.keepValues ? [[Double]](repeating: [], count: count) : []
    }

    /// Adds one batch of `rows` rows, row-major with `stride` features a row: floats in
    /// `floats`, int64 and string features at the same places in `integers` and `strings`.
    mutating func add(
        plan: FeatureStatisticsPlan, floats: UnsafePointer<Float>, integers: UnsafePointer<Int64>, strings: UnsafePointer<String>,
        rows: Int, stride: Int
    ) {
        guard rows > 0 else { return }
        for feature in 0..<plan.types.count {
            let bins = plan.binning?.features[feature]
            switch plan.types[feature] {
            case .float:
                let column = floats + feature
                numeric[feature].add(column, stride: stride, rows: rows)
                if case .numeric(_, let floatEdges, let low, let high) = bins {
                    drift[feature].add(column, stride: stride, rows: rows, floatEdges: floatEdges, low: low, high: high)
                }
                if plan.keepValues { for row in 0..<rows { keptValues[feature].append(Double(column[row * stride])) } }
            case .int64:
                let column = integers + feature
                numeric[feature].add(column, stride: stride, rows: rows)
                if case .numeric(let edges, _, let low, let high) = bins {
                    for row in 0..<rows { drift[feature].add(Double(column[row * stride]), edges: edges, low: low, high: high) }
                }
                if plan.keepValues { for row in 0..<rows { keptValues[feature].append(Double(column[row * stride])) } }
            case .string:
                for row in 0..<rows {
                    let value = strings[row * stride + feature]
                    categories[feature].add(value)
                    if case .categories(let map, let count) = bins { drift[feature].add(value, categories: map, count: count) }
                }
            }
        }
    }

    /// Adds one batch's scores (drift and profile only: ``ScoreStatistics`` has the rest).
    mutating func addScores(_ scores: UnsafePointer<Float>, count: Int, plan: FeatureStatisticsPlan) {
        if case .numeric(_, let floatEdges, let low, let high) = plan.binning?.score {
            scoreDrift?.add(scores, stride: 1, rows: count, floatEdges: floatEdges, low: low, high: high)
        }
        if plan.keepValues { for k in 0..<count { keptScores.append(Double(scores[k])) } }
    }

    /// Whether ``addScores(_:count:plan:)`` has anything to do.
    static func tracksScores(_ plan: FeatureStatisticsPlan) -> Bool { plan.binning != nil || plan.keepValues }

    /// Adds the next chunk's accumulator (file order).
    mutating func merge(_ other: FeatureAccumulator) {
        for k in numeric.indices where other.numeric[k].count + other.numeric[k].missing > 0 { numeric[k].merge(other.numeric[k]) }
        for k in categories.indices where other.categories[k].count + other.categories[k].missing > 0 {
            categories[k].merge(other.categories[k])
        }
        for k in drift.indices { drift[k].merge(other.drift[k]) }
        if let other = other.scoreDrift { scoreDrift?.merge(other) }
        for k in keptValues.indices { keptValues[k].append(contentsOf: other.keptValues[k]) }
        keptScores.append(contentsOf: other.keptScores)
    }

    /// The report's per-feature statistics.
    func summaries(plan: FeatureStatisticsPlan) -> [FeatureSummary] {
        plan.names.indices.map { k in
            FeatureSummary(name: plan.names[k], values: plan.types[k] == .string ? .string(categories[k]) : .numeric(numeric[k]))
        }
    }
}

extension NumericSummary {
    /// A summary that is never added to (a string feature's slot), with no counters.
    static var empty: NumericSummary {
        var summary = NumericSummary()
        summary.buckets = []
        return summary
    }
}
