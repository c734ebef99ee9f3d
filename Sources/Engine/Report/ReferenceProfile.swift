import Files
import Foundation
import OrderedJSON

/// What the data a model was trained on looked like, computed once by `inferwatcher profile`
/// (``BatchPredictor/profile(input:progress:)``) and compared with every job's data (PSI, see
/// docs/DRIFT.md). Written as ref.json; read back with any JSON decoder.
public struct ReferenceProfile: Codable, Sendable, Equatable {
    /// The file's kind, so a wrong file is named as such.
    public static let formatName = "inferwatcher-reference-profile"

    /// Where the profile came from.
    public struct Source: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String?
        public var rows: Int

        public init(path: String, sha256: String?, rows: Int) {
            self.path = path
            self.sha256 = sha256
            self.rows = rows
        }
    }

    /// The model whose features and score were profiled.
    public struct Model: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String

        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// The distribution of one feature, or of the score.
    public struct Distribution: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            case numeric, string
        }

        public var name: String
        public var kind: Kind
        /// Values counted, missing ones included: the denominator of every proportion.
        public var rows: Int
        /// Empty values (NaN for numbers, "" for strings).
        public var missing: Int
        /// Numeric: the 11 decile edges of the values present (numpy's default linear
        /// interpolation); the first is the minimum and the last the maximum.
        public var edges: [Double]?
        /// Numeric: the reference's values in each of the 10 bins, binned as every job's are.
        /// String: the count of each of `categories`, then of every other value ("other").
        public var counts: [Int]
        /// String: the most frequent values, most frequent first (at most
        /// ``ReferenceProfile/maximumCategories``).
        public var categories: [String]?

        public init(name: String, kind: Kind, rows: Int, missing: Int, edges: [Double]?, counts: [Int], categories: [String]?) {
            self.name = name
            self.kind = kind
            self.rows = rows
            self.missing = missing
            self.edges = edges
            self.counts = counts
            self.categories = categories
        }

        enum CodingKeys: String, CodingKey {
            case name, kind, rows, missing, edges, counts, categories
        }

        /// The reference's proportions per bin, the missing bin last.
        var proportions: [Double] {
            let total = Double(Swift.max(rows, 1))
            return counts.map { Double($0) / total } + [Double(missing) / total]
        }
    }

    public var format = ReferenceProfile.formatName
    public var version = 1
    public var source: Source
    public var model: Model
    /// One per feature, in the model's feature order.
    public var features: [Distribution]
    /// The model's score: a binary model's probability, a multiclass model's top probability or
    /// a regression's value (as in report.json's statistics).
    public var score: Distribution

    public init(source: Source, model: Model, features: [Distribution], score: Distribution) {
        self.source = source
        self.model = model
        self.features = features
        self.score = score
    }

    /// Categories kept per string column; the rest of a column's values fall in "other".
    public static let maximumCategories = 100
    /// Decile bins.
    public static let binCount = 10

    enum CodingKeys: String, CodingKey {
        case format, version, source, model, features, score
    }

    /// Reads a profile written by `inferwatcher profile`.
    /// - Throws: ``PredictionError`` (`.usage`) naming the file and what is wrong with it.
    public static func load(path: String) throws(PredictionError) -> ReferenceProfile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PredictionError(.usage, "\(path): cannot read the reference profile (\(error.localizedDescription))")
        }
        let profile: ReferenceProfile
        do { profile = try JSONDecoder().decode(ReferenceProfile.self, from: data) } catch {
            throw PredictionError(
                .usage, "\(path): not a reference profile (\(error)); make one with `inferwatcher profile --input TRAIN.csv --model M`")
        }
        guard profile.format == formatName, profile.version == 1 else {
            throw PredictionError(.usage, "\(path): format \(profile.format) version \(profile.version) is not \(formatName) version 1")
        }
        for distribution in profile.features + [profile.score] {
            let bins =
                distribution.kind == .numeric ? binCount : (distribution.categories?.count ?? -1) + 1
            let edgesOK =
                distribution.kind == .string || (distribution.edges?.count == binCount + 1 && distribution.edges!.allSatisfy(\.isFinite))
            guard distribution.counts.count == bins, edgesOK, distribution.rows >= distribution.missing + distribution.counts.reduce(0, +)
            else {
                throw PredictionError(.usage, "\(path): the distribution of '\(distribution.name)' is inconsistent (bins, edges or counts)")
            }
        }
        return profile
    }

    /// ref.json's text: keys in a fixed order.
    public func json() -> String {
        // Every member encodes (strings, numbers, arrays): encoding cannot fail.
        (try? JSONValue(encoding: self).serialized()) ?? "{}"
    }
}

/// Drift detection's settings for a run: the reference and the two thresholds.
public struct DriftSettings: Sendable, Equatable {
    public var reference: ReferenceProfile
    /// Where the reference was read from (named in reports).
    public var referencePath: String
    /// The reference file's SHA-256, when it was read from a file.
    public var referenceSHA256: String?
    /// A PSI above this warns.
    public var warnPSI: Double
    /// A PSI above this alerts (journal record, drift hook).
    public var alertPSI: Double

    public static let defaultWarnPSI = 0.1
    public static let defaultAlertPSI = 0.25

    public init(
        reference: ReferenceProfile, referencePath: String, referenceSHA256: String? = nil, warnPSI: Double = defaultWarnPSI,
        alertPSI: Double = defaultAlertPSI
    ) {
        self.reference = reference
        self.referencePath = referencePath
        self.referenceSHA256 = referenceSHA256
        self.warnPSI = warnPSI
        self.alertPSI = alertPSI
    }

    /// Reads the reference at `path` (``ReferenceProfile/load(path:)``) and hashes it.
    /// - Throws: ``PredictionError`` naming the file; also when `warnPSI` is not below `alertPSI`.
    public static func load(
        path: String, warnPSI: Double = defaultWarnPSI, alertPSI: Double = defaultAlertPSI
    ) throws(PredictionError)
        -> DriftSettings
    {
        guard warnPSI >= 0, warnPSI <= alertPSI else {
            throw PredictionError(.usage, "warn_psi (\(warnPSI)) must be at least 0 and at most alert_psi (\(alertPSI))")
        }
        let reference = try ReferenceProfile.load(path: path)
        let sha256: String
        do { sha256 = try FileDigest(of: path).sha256 } catch { throw PredictionError(error) }
        return DriftSettings(reference: reference, referencePath: path, referenceSHA256: sha256, warnPSI: warnPSI, alertPSI: alertPSI)
    }
}

/// The population stability index of docs/DRIFT.md: proportions floored at 1e-4, then
/// Σ (a − e) · ln(a / e) over the bins.
public enum PopulationStability {
    /// The floor applied to every proportion, actual and expected.
    public static let floor = 1e-4

    /// PSI of `actual` against `expected`, two lists of proportions over the same bins.
    public static func index(actual: [Double], expected: [Double]) -> Double {
        var sum = 0.0
        for (a, e) in zip(actual, expected) {
            let a = Swift.max(a, floor)
            let e = Swift.max(e, floor)
            sum += (a - e) * log(a / e)
        }
        return sum
    }
}

extension ReferenceProfile.Distribution {
    /// A numeric column's distribution: decile edges of the values present (numpy's default
    /// linear interpolation), and the values binned by them as a job's are.
    static func numeric(name: String, values: [Double]) -> Self {
        var present = values.filter { !$0.isNaN }
        present.sort()
        let edges = (0...ReferenceProfile.binCount).map { k in
            quantile(present, Double(k) / Double(ReferenceProfile.binCount))
        }
        var counts = DriftCounts(binCount: ReferenceProfile.binCount + 1)
        let interior = Array(edges.dropFirst().dropLast())
        for value in present { counts.add(value, edges: interior, low: edges[0], high: edges[ReferenceProfile.binCount]) }
        return Self(
            name: name, kind: .numeric, rows: values.count, missing: values.count - present.count, edges: edges,
            counts: Array(counts.bins.dropLast()), categories: nil)
    }

    /// A string column's distribution: its most frequent values, and the rest as "other".
    static func categories(name: String, summary: CategorySummary) -> Self {
        let top = summary.top(ReferenceProfile.maximumCategories)
        let kept = top.map(\.count).reduce(0, +)
        return Self(
            name: name, kind: .string, rows: summary.count + summary.missing, missing: summary.missing, edges: nil,
            counts: top.map(\.count) + [summary.count - kept], categories: top.map(\.value))
    }

    /// The `q` quantile of sorted values as numpy computes it by default ("linear"); 0 for none.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = Swift.min(below + 1, sorted.count - 1)
        let t = position - Double(below)
        let (a, b) = (sorted[below], sorted[above])
        // numpy's _lerp: from the nearer end, so the result stays within [a, b].
        return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
    }
}
