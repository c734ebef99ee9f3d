import CKernels
public import OrderedJSON

/// How a job's values fall into a reference's bins (docs/DRIFT.md): decile edges for numbers,
/// categories plus "other" for strings, and a bin of its own for missing values. Built once per
/// run from the ``ReferenceProfile`` and shared by every worker.
struct DriftBinning: Sendable {
    enum Bins: Sendable {
        /// The 9 interior decile edges, as doubles and as the floats that compare the same way
        /// (the smallest float not below each edge: `v >= float` exactly when `Double(v) >= edge`),
        /// and the reference's range.
        case numeric(edges: [Double], floatEdges: [Float], low: Double, high: Double)
        /// Each category's bin; any other value is bin `count`.
        case categories([String: Int], count: Int)

        /// Bins, the missing bin included.
        var binCount: Int {
            switch self {
            case .numeric: ReferenceProfile.binCount + 1
            case .categories(_, let count): count + 2
            }
        }

        init(_ distribution: ReferenceProfile.Distribution) {
            switch distribution.kind {
            case .numeric:
                let edges = distribution.edges ?? []
                let interior = Array(edges.dropFirst().dropLast())
                self = .numeric(
                    edges: interior, floatEdges: interior.map(DriftCounts.smallestFloat(notBelow:)), low: edges.first ?? 0,
                    high: edges.last ?? 0)
            case .string:
                let categories = distribution.categories ?? []
                self = .categories(
                    Dictionary(categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }), count: categories.count)
            }
        }
    }

    let features: [Bins]
    let score: Bins

    /// Checks that the reference profiles these features, by name and kind, in this order.
    init(reference: ReferenceProfile, path: String, featureNames: [String], types: [ModelInput.ValueType]) throws(PredictionError) {
        let profiled = reference.features.map(\.name)
        guard profiled == featureNames else {
            throw PredictionError(
                .usage,
                "\(path): the reference profiles the features \(profiled.joined(separator: ", ")) but the model reads \(featureNames.joined(separator: ", ")); profile the training data with this model again (inferwatcher profile)"
            )
        }
        for (distribution, type) in zip(reference.features, types) where (distribution.kind == .string) != (type == .string) {
            throw PredictionError(
                .usage,
                "\(path): feature '\(distribution.name)' is \(distribution.kind.rawValue) in the reference but the model reads it as \(type.rawValue); profile again with this model"
            )
        }
        features = reference.features.map(Bins.init)
        score = Bins(reference.score)
    }
}

/// Counts of one column's values per reference bin (the missing bin last) and outside the
/// reference's range. Memory: the bins, whatever the rows.
struct DriftCounts: Sendable, Equatable {
    var bins: [Int]
    /// Numbers below the reference's minimum or above its maximum; strings it never saw.
    var outOfRange = 0

    init(binCount: Int) {
        bins = [Int](repeating: 0, count: binCount)
    }

    mutating func merge(_ other: DriftCounts) {
        for k in bins.indices { bins[k] += other.bins[k] }
        outOfRange += other.outOfRange
    }

    /// Adds one batch's float column (in C, edge by edge, vectorized: CKernels' DriftBins.h).
    @inline(__always)
    mutating func add(_ base: UnsafePointer<Float>, stride: Int, rows: Int, floatEdges: [Float], low: Double, high: Double) {
        precondition(floatEdges.count == ReferenceProfile.binCount - 1 && bins.count == ReferenceProfile.binCount + 1)
        var outside = outOfRange
        floatEdges.withUnsafeBufferPointer { edges in
            bins.withUnsafeMutableBufferPointer { bins in
                iw_drift_bins_f32(
                    base, stride, rows, edges.baseAddress!, Self.smallestFloat(notBelow: low), Self.largestFloat(notAbove: high),
                    bins.baseAddress!, &outside)
            }
        }
        outOfRange = outside
    }

    /// Adds one value compared as a double (int64 features, scores).
    @inline(__always)
    mutating func add(_ value: Double, edges: [Double], low: Double, high: Double) {
        if value.isNaN {
            bins[bins.count - 1] += 1
            return
        }
        var bin = 0
        for edge in edges where value >= edge { bin += 1 }
        bins[bin] += 1
        if value < low || value > high { outOfRange += 1 }
    }

    /// Adds one string value against the reference's categories.
    mutating func add(_ value: String, categories: [String: Int], count: Int) {
        if value.isEmpty {
            bins[bins.count - 1] += 1
            return
        }
        if let bin = categories[value] {
            bins[bin] += 1
        } else {
            bins[count] += 1
            outOfRange += 1
        }
    }

    static func smallestFloat(notBelow value: Double) -> Float {
        var float = Float(value)
        if Double(float) < value { float = float.nextUp }
        return float
    }

    static func largestFloat(notAbove value: Double) -> Float {
        var float = Float(value)
        if Double(float) > value { float = float.nextDown }
        return float
    }
}

/// A job's drift against the reference: PSI per feature and for the score, and the share of
/// values outside the reference's range (docs/DRIFT.md).
public struct DriftReport: Sendable, Equatable {
    public enum Level: String, Sendable, Comparable {
        case ok, warn, alert

        private var rank: Int {
            switch self {
            case .ok: 0
            case .warn: 1
            case .alert: 2
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    /// One column's drift.
    public struct Column: Sendable, Equatable {
        public var name: String
        public var psi: Double
        public var level: Level
        /// Share of the job's values outside the reference's range (numbers) or categories (strings).
        public var outOfRangeShare: Double
        /// The bins' names: `[low, high)` for numbers, the category or "other" for strings; the
        /// missing bin last.
        public var binNames: [String]
        /// The job's proportion per bin (unfloored), the missing bin last.
        public var actual: [Double]
        /// The reference's proportion per bin (unfloored), the missing bin last.
        public var expected: [Double]
    }

    public var referencePath: String
    public var referenceSHA256: String?
    public var warnPSI: Double
    public var alertPSI: Double
    /// Every feature, in model order.
    public var features: [Column]
    public var score: Column

    /// The largest PSI of any feature.
    public var maximumPSI: Double { features.map(\.psi).max() ?? 0 }

    /// Features whose PSI is above ``alertPSI``.
    public var alerted: [Column] { features.filter { $0.level == .alert } }
    /// Features whose PSI is above ``warnPSI`` but not ``alertPSI``.
    public var warned: [Column] { features.filter { $0.level == .warn } }

    /// The overall level: the worst feature's.
    public var level: Level { features.map(\.level).max() ?? .ok }

    /// One line for people: `ALERT f3 (PSI 0.41); warn f2 (0.12); max PSI 0.41` or `ok, max PSI 0.02`.
    public var summaryLine: String {
        func list(_ columns: [Column]) -> String {
            columns.sorted { $0.psi > $1.psi }.map { "\($0.name) (PSI \(cFormat("%.3f", $0.psi)))" }.joined(separator: ", ")
        }
        var parts: [String] = []
        if !alerted.isEmpty { parts.append("ALERT " + list(alerted)) }
        if !warned.isEmpty { parts.append("warn " + list(warned)) }
        if parts.isEmpty { parts.append("ok") }
        return parts.joined(separator: "; ") + "; max PSI \(cFormat("%.3f", maximumPSI)), score PSI \(cFormat("%.3f", score.psi))"
    }

    init(settings: DriftSettings, features: [DriftCounts], score: DriftCounts) {
        referencePath = settings.referencePath
        referenceSHA256 = settings.referenceSHA256
        warnPSI = settings.warnPSI
        alertPSI = settings.alertPSI
        func column(_ counts: DriftCounts, _ distribution: ReferenceProfile.Distribution) -> Column {
            let total = Double(Swift.max(counts.bins.reduce(0, +), 1))
            let actual = counts.bins.map { Double($0) / total }
            let expected = distribution.proportions
            let psi = PopulationStability.index(actual: actual, expected: expected)
            let level: Level = psi > settings.alertPSI ? .alert : psi > settings.warnPSI ? .warn : .ok
            var names: [String]
            if let edges = distribution.edges {
                names = (0..<ReferenceProfile.binCount).map { bin in
                    "[\(shortNumber(edges[bin])), \(shortNumber(edges[bin + 1]))\(bin == ReferenceProfile.binCount - 1 ? "]" : ")")"
                }
            } else {
                names = (distribution.categories ?? []) + ["other"]
            }
            names.append("missing")
            let present = counts.bins.dropLast().reduce(0, +)
            return Column(
                name: distribution.name, psi: psi, level: level,
                outOfRangeShare: present > 0 ? Double(counts.outOfRange) / Double(present) : 0, binNames: names,
                actual: actual, expected: expected)
        }
        self.features = zip(features, settings.reference.features).map(column)
        self.score = column(score, settings.reference.score)
    }

    /// report.json's `drift` member.
    public func json() -> OrderedJSON.JSONValue {
        func column(_ column: Column) -> JSONValue {
            .object([
                ("name", .string(column.name)), ("psi", .double(column.psi)), ("level", .string(column.level.rawValue)),
                ("out_of_range", .double(column.outOfRangeShare)),
                (
                    "bins",
                    .array(
                        column.binNames.indices.map { k in
                            .object([
                                ("bin", .string(column.binNames[k])), ("expected", .double(column.expected[k])),
                                ("actual", .double(column.actual[k])),
                            ])
                        })
                ),
            ])
        }
        return .object([
            ("reference", .string(referencePath)), ("reference_sha256", referenceSHA256.map(JSONValue.string) ?? .null),
            ("warn_psi", .double(warnPSI)), ("alert_psi", .double(alertPSI)), ("level", .string(level.rawValue)),
            ("max_psi", .double(maximumPSI)), ("alerted", .array(alerted.map { .string($0.name) })),
            ("warned", .array(warned.map { .string($0.name) })), ("features", .array(features.map(column))),
            ("score", column(score)),
        ])
    }
}

/// A number as short as it can be written and still read back (for bin names).
func shortNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return cFormat("%.6g", value)
}
