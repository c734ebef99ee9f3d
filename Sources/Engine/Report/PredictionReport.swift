import OrderedJSON

/// Everything a prediction run produced besides the predictions: counts, score statistics,
/// validation outcome, timings and hashes. Renders as report.txt (the Python original's shape)
/// and report.json (docs/REPORT.md). A report rebuilt from a predictions file knows less than
/// the run's own: what it does not know is nil here and null in the JSON.
public struct PredictionReport: Sendable {
    /// Seconds spent per stage. Parse, infer and format are summed over worker threads.
    public struct StageTimings: Sendable, Equatable {
        public var parseSeconds = 0.0
        public var inferSeconds = 0.0
        public var formatSeconds = 0.0
        /// Per-feature statistics and drift counts, summed over worker threads.
        public var statisticsSeconds = 0.0
        public var writeSeconds = 0.0
        public var totalSeconds = 0.0

        mutating func add(_ other: StageTimings) {
            parseSeconds += other.parseSeconds
            inferSeconds += other.inferSeconds
            formatSeconds += other.formatSeconds
            statisticsSeconds += other.statisticsSeconds
            writeSeconds += other.writeSeconds
        }
    }

    public var inputPath: String
    /// SHA-256 of the input file; nil when the run was asked not to hash it
    /// (``PredictionOptions/hashInput``) or the report was recomputed from a predictions file.
    public var inputSHA256: String?
    public var inputBytes: Int?
    public var modelPath: String?
    public var modelSHA256: String?
    public var outputKind: OutputSchema.Kind
    public var threshold: Double?
    public var policy: ValidationPolicy?
    /// The run's start in local time, as written in the timestamp column.
    public var startedAt: String?
    /// Data rows in the file (blank lines excluded).
    public var rowsRead = 0
    public var rowsPredicted = 0
    public var rowsRejected = 0
    public var blankLinesSkipped = 0
    /// Statistics of the scores (binary: the score; multiclass: the top probability;
    /// regression: the value).
    public var statistics = ScoreStatistics()
    /// Rows per predicted class, multiclass models only (in label order).
    public var classCounts: [Int] = []
    /// The first rejected rows (all of them are in rejected.csv).
    public var rejectedSample: [ValidationIssue] = []
    /// Where the rejected rows were written (lenient policy, when there were any).
    public var rejectedRowsPath: String?
    /// Rows whose id repeats an earlier row's (a warning; the rows are predicted).
    public var duplicateIDs: Int? = 0
    /// The first duplicate-id warnings.
    public var warningSample: [ValidationIssue] = []
    public var timings: StageTimings?
    /// Per-feature statistics of the rows that reached the model, in model order (empty for a
    /// report rebuilt from a predictions file).
    public var features: [FeatureSummary] = []
    /// Drift against the reference, when the run had one.
    public var drift: DriftReport?
    /// The model's metadata (`metadata_props`).
    public var modelMetadata: [String: String] = [:]
    public var threads: Int?
    public var batchSize: Int?

    /// Rows per second over the whole run.
    public var rowsPerSecond: Double? {
        timings.map { $0.totalSeconds > 0 ? Double(rowsRead) / $0.totalSeconds : 0 }
    }

    /// True when every row read was either predicted or rejected.
    public var countsAddUp: Bool { rowsRead == rowsPredicted + rowsRejected }

    /// report.txt: the Python original's layout (DESIGN §5).
    public func text() -> String {
        let rule = String(repeating: "=", count: 60)
        let n = statistics.count
        func percent(_ part: Int) -> String { cFormat("%.1f", n > 0 ? 100 * Double(part) / Double(n) : 0) }
        func number(_ value: Double) -> String { cFormat("%.4f", value) }
        var lines = [rule, "BATCH INFERENCE REPORT", rule, "Total Predictions: \(groupedThousands(n))"]
        switch outputKind {
        case .binary, .twoClass:
            // A model with labels of its own names them: "Positive (stay): …".
            var named = (positive: "", negative: "")
            if case .twoClass(let labels) = outputKind, labels != ["0", "1"] { named = (" (\(labels[1]))", " (\(labels[0]))") }
            lines.append("Positive\(named.positive): \(groupedThousands(statistics.positive)) (\(percent(statistics.positive))%)")
            lines.append("Negative\(named.negative): \(groupedThousands(statistics.negative)) (\(percent(statistics.negative))%)")
        case .multiclass(let labels):
            lines.append("Classes:")
            for (label, count) in zip(labels, classCounts) {
                lines.append("  \(label): \(groupedThousands(count)) (\(percent(count))%)")
            }
        case .regression:
            break
        }
        let isRegression = outputKind == .regression
        lines.append("")
        lines.append(isRegression ? "Value Statistics:" : "Score Statistics:")
        lines.append("  Mean: \(n > 0 ? number(statistics.mean) : "nan")")
        lines.append("  Std:  \(statistics.standardDeviation.map(number) ?? "nan")")
        lines.append("  Min:  \(n > 0 ? number(statistics.minimum) : "nan")")
        lines.append("  Max:  \(n > 0 ? number(statistics.maximum) : "nan")")
        if !isRegression {
            lines.append("")
            lines.append("Score Distribution:")
            let edges = ScoreStatistics.binEdges
            for bin in 0..<statistics.histogram.count {
                let count = statistics.histogram[bin]
                lines.append(
                    "  (\(cFormat("%.1f", edges[bin])), \(cFormat("%.1f", edges[bin + 1]))]: \(groupedThousands(count)) (\(percent(count))%)"
                )
            }
        }
        if let drift {
            lines.append("")
            lines.append("Drift (PSI against \(drift.referencePath)):")
            lines.append("  \(drift.summaryLine)")
        }
        lines.append(rule)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Bins of a feature's sparkline in report.json and report.html.
    public static let sparklineBins = 20

    /// One feature in report.json's `features`.
    static func json(_ feature: FeatureSummary) -> JSONValue {
        switch feature.values {
        case .numeric(let summary):
            let present = summary.count > 0
            return .object([
                ("name", .string(feature.name)), ("type", .string("numeric")), ("count", .int(summary.count)),
                ("missing", .int(summary.missing)), ("min", present ? .double(summary.minimum) : .null),
                ("max", present ? .double(summary.maximum) : .null), ("mean", present ? .double(summary.mean) : .null),
                ("std", summary.standardDeviation.map(JSONValue.double) ?? .null),
                ("histogram", .array(summary.histogram(bins: sparklineBins).map { .int(Int($0.rounded())) })),
            ])
        case .string(let summary):
            return .object([
                ("name", .string(feature.name)), ("type", .string("string")), ("count", .int(summary.count)),
                ("missing", .int(summary.missing)), ("distinct", .int(summary.frequencies.count)),
                ("distinct_capped", .bool(summary.uncounted > 0)),
                ("top", .array(summary.top(10).map { .object([("value", .string($0.value)), ("count", .int($0.count))]) })),
            ])
        }
    }

    /// report.json: the same figures plus counts, validation summary, timings and hashes.
    public func json() -> String {
        func issue(_ issue: ValidationIssue) -> JSONValue {
            .object([
                ("line", .int(issue.line)),
                ("row_group", issue.rowGroup.map(JSONValue.int) ?? .null),
                ("column", issue.column.map(JSONValue.int) ?? .null),
                ("column_name", issue.columnName.map(JSONValue.string) ?? .null),
                ("value", issue.value.map(JSONValue.string) ?? .null),
                ("rule", .string(issue.rule.name)),
                ("message", .string(issue.message)),
            ])
        }
        let kindName: String
        var classes: [(String, JSONValue)] = []
        switch outputKind {
        case .binary: kindName = "binary"
        case .twoClass: kindName = "two_class"
        case .multiclass(let labels):
            kindName = "multiclass"
            classes = zip(labels, classCounts).map { ($0, .int($1)) }
        case .regression: kindName = "regression"
        }
        let policyValue: JSONValue
        switch policy {
        case nil: policyValue = .null
        case .strict: policyValue = .object([("policy", .string("strict"))])
        case .lenient(let fraction):
            policyValue = .object([("policy", .string("lenient")), ("max_rejected_fraction", .double(fraction))])
        }
        let duplicatesValue: JSONValue = duplicateIDs.map(JSONValue.int) ?? .null
        let timingsValue: JSONValue =
            timings.map { timings in
                .object([
                    ("parse_s", .double(timings.parseSeconds)), ("infer_s", .double(timings.inferSeconds)),
                    ("format_s", .double(timings.formatSeconds)), ("write_s", .double(timings.writeSeconds)),
                    ("statistics_s", .double(timings.statisticsSeconds)), ("total_s", .double(timings.totalSeconds)),
                    ("rows_per_second", rowsPerSecond.map(JSONValue.double) ?? .null),
                    ("threads", threads.map(JSONValue.int) ?? .null), ("batch_size", batchSize.map(JSONValue.int) ?? .null),
                ])
            } ?? .null
        var statisticsMembers: [(String, JSONValue)] = [
            ("count", .int(statistics.count)),
            ("mean", statistics.count > 0 ? .double(statistics.mean) : .null),
            ("std", statistics.standardDeviation.map(JSONValue.double) ?? .null),
            ("min", statistics.count > 0 ? .double(statistics.minimum) : .null),
            ("max", statistics.count > 0 ? .double(statistics.maximum) : .null),
        ]
        if outputKind != .regression {
            statisticsMembers.insert(contentsOf: [("positive", .int(statistics.positive)), ("negative", .int(statistics.negative))], at: 1)
            let edges = ScoreStatistics.binEdges
            statisticsMembers.append(
                (
                    "distribution",
                    .array(
                        (0..<5).map { bin in
                            .object([
                                ("low", .double(edges[bin])), ("high", .double(edges[bin + 1])), ("count", .int(statistics.histogram[bin])),
                            ])
                        })
                )
            )
        }
        if !classes.isEmpty { statisticsMembers.append(("classes", .object(classes))) }
        let metadataMembers: [(String, JSONValue)] = modelMetadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }
        let metadataValue = JSONValue.object(metadataMembers)
        let featuresValue = JSONValue.array(features.map(Self.json))
        let driftValue: JSONValue = drift?.json() ?? .null
        let document: JSONValue = .object([
            (
                "input",
                .object([
                    ("path", .string(inputPath)), ("bytes", inputBytes.map(JSONValue.int) ?? .null),
                    ("sha256", inputSHA256.map(JSONValue.string) ?? .null),
                ])
            ),
            (
                "model",
                .object([
                    ("path", modelPath.map(JSONValue.string) ?? .null), ("sha256", modelSHA256.map(JSONValue.string) ?? .null),
                    ("output_kind", .string(kindName)),
                    ("metadata", metadataValue),
                ])
            ),
            ("started_at", startedAt.map(JSONValue.string) ?? .null),
            ("threshold", threshold.map(JSONValue.double) ?? .null),
            (
                "rows",
                .object([
                    ("read", .int(rowsRead)), ("predicted", .int(rowsPredicted)), ("rejected", .int(rowsRejected)),
                    ("blank_lines_skipped", .int(blankLinesSkipped)), ("counts_add_up", .bool(countsAddUp)),
                ])
            ),
            ("statistics", .object(statisticsMembers)),
            (
                "validation",
                .object([
                    ("settings", policyValue),
                    ("rejected_sample", .array(rejectedSample.map(issue))),
                    ("duplicate_ids", duplicatesValue),
                    ("warnings", .array(warningSample.map(issue))),
                ])
            ),
            ("timings", timingsValue),
            ("features", featuresValue),
            ("drift", driftValue),
        ])
        return document.serialized()
    }
}
