import Archive
import Engine
import Files
import SystemdCalendar
import Yams

/// A configuration problem: the file, line, key and value, and what is expected.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    /// The configuration file.
    public let file: String
    /// The 1-based line of the problem, where the YAML parser knows it.
    public let line: Int?
    /// The dotted key (`pipelines.churn.settle`), if the problem is one key's.
    public let key: String?
    /// What is wrong and what is expected.
    public let message: String

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}

/// Reads the YAML configuration into a ``DaemonConfig``.
///
/// Every key has a default; unknown keys and bad values are errors naming the key, value and line.
public enum ConfigLoader {
    static let topKeys = ["state_dir", "stop_timeout", "limits", "metrics", "pipelines"]
    static let limitKeys = ["max_record_bytes", "max_columns"]
    static let metricsKeys = ["textfile", "interval"]
    static let pipelineKeys = [
        "spool", "archive", "model", "threshold", "id_column", "include_features", "features", "batch_size",
        "threads", "schedule", "settle", "rescan", "validation", "retries", "sla", "duplicates", "compression",
        "retention_days", "max_parallel_jobs", "drift", "alerts",
    ]

    /// The largest configuration accepted, in bytes. Real ones are a few KiB; the bound keeps
    /// libyaml (through Yams) away from inputs no one writes by hand (docs/TESTING.md, fuzzing).
    public static let maximumSize = 1 << 20

    /// Loads and checks the file at `path`.
    public static func load(path: String) throws(ConfigError) -> DaemonConfig {
        func unreadable(_ error: FileError) -> ConfigError {
            ConfigError(file: path, line: nil, key: nil, message: "cannot read the configuration: \(error.reason)")
        }
        // The size is checked before reading, so that a huge file is never read whole.
        let size: Int?
        do { size = try InputFile(path: path).size } catch { throw unreadable(error) }
        if let size, size > maximumSize { throw tooLarge(size, file: path) }
        let text: String
        do { text = try FileContents.text(path) } catch { throw unreadable(error) }
        return try parse(text, file: path)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> DaemonConfig {
        guard text.utf8.count <= maximumSize else { throw tooLarge(text.utf8.count, file: file) }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(file: file, line: yamlErrorLine(error), key: nil, message: "not valid YAML: \(yamlProblem(error))")
        }
        var config = DaemonConfig()
        guard let root else { return config }  // an empty file: all defaults
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, key: "(top level)")
        try reader.rejectUnknown(top, allowed: topKeys, context: "top level")
        if let node = top.value("state_dir") { config.stateDirectory = try reader.path(node, key: "state_dir") }
        if let node = top.value("stop_timeout") { config.stopTimeout = try reader.span(node, key: "stop_timeout") }
        if let node = top.value("limits") { config.limits = try limits(node, reader: reader) }
        if let node = top.value("metrics") { config.metrics = try metrics(node, reader: reader) }
        if let node = top.value("pipelines") {
            let pipelines = try reader.mapping(node, key: "pipelines")
            guard !pipelines.isEmpty else {
                throw ConfigError(
                    file: file, line: node.mark?.line, key: "pipelines",
                    message: "needs at least one pipeline (or leave it out for the default)")
            }
            config.pipelines = []
            for (keyNode, value) in pipelines.pairs {
                let name = keyNode.string ?? ""
                guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first),
                    name.unicodeScalars.allSatisfy({
                        $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0))
                    })
                else {
                    throw ConfigError(
                        file: file, line: keyNode.mark?.line, key: "pipelines",
                        message: "pipeline name '\(name)' must start with a letter or digit and use only letters, digits, '_', '-', '.'")
                }
                config.pipelines.append(try pipeline(name: name, node: value, reader: reader))
            }
        }
        for index in config.pipelines.indices { config.pipelines[index].limits = config.limits }
        try checkDistinctFolders(config, file: file)
        return config
    }

    private static func limits(_ node: Node, reader: NodeReader) throws(ConfigError) -> InputLimits {
        var limits = InputLimits()
        let map = try reader.mapping(node, key: "limits")
        try reader.rejectUnknown(map, allowed: limitKeys, context: "limits")
        if let n = map.value("max_record_bytes") {
            // At least 1 KiB: a header line must fit. At most 1 GiB: one record is held in memory whole.
            limits.maxRecordBytes = try reader.byteSize(n, key: "limits.max_record_bytes", in: 1 << 10...1 << 30)
        }
        if let n = map.value("max_columns") {
            limits.maxColumns = try reader.integer(n, key: "limits.max_columns", in: 1...10_000_000)
        }
        return limits
    }

    private static func metrics(_ node: Node, reader: NodeReader) throws(ConfigError) -> MetricsSettings {
        var metrics = MetricsSettings()
        let map = try reader.mapping(node, key: "metrics")
        try reader.rejectUnknown(map, allowed: metricsKeys, context: "metrics")
        if let n = map.value("textfile") {
            // Empty is off (what check-config prints for the default).
            if try !reader.scalar(n, key: "metrics.textfile").isEmpty {
                metrics.textfile = try reader.path(n, key: "metrics.textfile")
                let name = FileTree.name(of: metrics.textfile)
                guard name.hasSuffix(".prom"), name.count > ".prom".count, !name.hasPrefix(".") else {
                    throw reader.fail(
                        n, "metrics.textfile",
                        "'\(metrics.textfile)' must name a file ending in .prom, not hidden (node_exporter's textfile collector "
                            + "reads only those), such as /var/lib/prometheus/node-exporter/inferwatcher.prom")
                }
            }
        }
        if let n = map.value("interval") {
            metrics.interval = try reader.span(n, key: "metrics.interval")
            guard metrics.interval >= .seconds(1) else {
                throw reader.fail(n, "metrics.interval", "must be at least 1s")
            }
        }
        return metrics
    }

    private static func pipeline(name: String, node: Node, reader: NodeReader) throws(ConfigError) -> PipelineConfig {
        var pipeline = PipelineConfig(name: name)
        let prefix = "pipelines.\(name)"
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return pipeline
        }
        let map = try reader.mapping(node, key: prefix)
        try reader.rejectUnknown(map, allowed: pipelineKeys, context: "pipeline '\(name)'")
        func key(_ name: String) -> String { "\(prefix).\(name)" }
        if let n = map.value("spool") { pipeline.spool = try reader.path(n, key: key("spool")) }
        if let n = map.value("archive") { pipeline.archive = try reader.path(n, key: key("archive")) }
        if let n = map.value("model") { pipeline.model = try reader.path(n, key: key("model")) }
        if let n = map.value("threshold") { pipeline.threshold = try reader.number(n, key: key("threshold"), in: 0...1) }
        if let n = map.value("id_column") { pipeline.idColumn = try reader.nonEmptyString(n, key: key("id_column")) }
        if let n = map.value("include_features") { pipeline.includeFeatures = try reader.bool(n, key: key("include_features")) }
        if let n = map.value("features") { pipeline.features = try reader.stringList(n, key: key("features")) }
        if let n = map.value("batch_size") { pipeline.batchSize = try reader.integer(n, key: key("batch_size"), in: 0...10_000_000) }
        if let n = map.value("threads") { pipeline.threads = try reader.integer(n, key: key("threads"), in: 0...1024) }
        if let n = map.value("schedule") {
            let text = try reader.nonEmptyString(n, key: key("schedule"))
            do { pipeline.schedule = try Schedule(parsing: text) } catch {
                throw ConfigError(file: reader.file, line: n.mark?.line, key: key("schedule"), message: error.message)
            }
        }
        if let n = map.value("settle") { pipeline.settle = try reader.span(n, key: key("settle")) }
        if let n = map.value("rescan") {
            pipeline.rescan = try reader.span(n, key: key("rescan"))
            guard pipeline.rescan >= .seconds(1) else {
                throw ConfigError(file: reader.file, line: n.mark?.line, key: key("rescan"), message: "must be at least 1s")
            }
        }
        if let n = map.value("validation") {
            let validation = try reader.mapping(n, key: key("validation"))
            try reader.rejectUnknown(validation, allowed: ["policy", "max_rejected_fraction"], context: "\(key("validation"))")
            if let p = validation.value("policy") {
                pipeline.policy = try reader.choice(p, key: key("validation.policy"), of: PolicyName.self)
            }
            if let f = validation.value("max_rejected_fraction") {
                pipeline.maxRejectedFraction = try reader.number(f, key: key("validation.max_rejected_fraction"), in: 0...1)
            }
        }
        if let n = map.value("retries") {
            let retries = try reader.mapping(n, key: key("retries"))
            try reader.rejectUnknown(retries, allowed: ["attempts", "initial_backoff", "max_backoff"], context: key("retries"))
            if let a = retries.value("attempts") {
                pipeline.retryAttempts = try reader.integer(a, key: key("retries.attempts"), in: 1...100)
            }
            if let i = retries.value("initial_backoff") {
                pipeline.initialBackoff = try reader.span(i, key: key("retries.initial_backoff"))
            }
            if let m = retries.value("max_backoff") { pipeline.maxBackoff = try reader.span(m, key: key("retries.max_backoff")) }
            if pipeline.maxBackoff < pipeline.initialBackoff {
                throw ConfigError(
                    file: reader.file, line: n.mark?.line, key: key("retries"),
                    message:
                        "max_backoff (\(TimeSpan.format(pipeline.maxBackoff))) is shorter than initial_backoff (\(TimeSpan.format(pipeline.initialBackoff)))"
                )
            }
        }
        if let n = map.value("sla") { pipeline.sla = try reader.span(n, key: key("sla")) }
        if let n = map.value("duplicates") {
            pipeline.duplicates = try reader.choice(n, key: key("duplicates"), of: PipelineConfig.DuplicatePolicy.self)
        }
        if let n = map.value("compression") { pipeline.compression = try reader.choice(n, key: key("compression"), of: Compression.self) }
        if let n = map.value("retention_days") {
            pipeline.retentionDays = try reader.integer(n, key: key("retention_days"), in: 1...100_000)
        }
        if let n = map.value("max_parallel_jobs") {
            pipeline.maxParallelJobs = try reader.integer(n, key: key("max_parallel_jobs"), in: 1...64)
        }
        // `drift: null` (as check-config writes "no drift") is the default: off.
        if let n = map.value("drift"), n.null == nil {
            let drift = try reader.mapping(n, key: key("drift"))
            try reader.rejectUnknown(drift, allowed: ["reference", "warn_psi", "alert_psi"], context: key("drift"))
            guard let r = drift.value("reference") else {
                throw ConfigError(
                    file: reader.file, line: n.mark?.line, key: key("drift"),
                    message: "drift needs reference: PATH, a profile made by `inferwatcher profile --input TRAIN.csv --model M`")
            }
            let reference = try reader.scalar(r, key: key("drift.reference"))
            let warn = try drift.value("warn_psi").map { w throws(ConfigError) in
                try reader.number(w, key: key("drift.warn_psi"), in: 0...100)
            }
            let alert = try drift.value("alert_psi").map { a throws(ConfigError) in
                try reader.number(a, key: key("drift.alert_psi"), in: 0...100)
            }
            do {
                pipeline.drift = try DriftSettings.load(
                    path: reference, warnPSI: warn ?? DriftSettings.defaultWarnPSI, alertPSI: alert ?? DriftSettings.defaultAlertPSI)
            } catch {
                throw ConfigError(file: reader.file, line: r.mark?.line, key: key("drift"), message: error.message)
            }
        }
        if let n = map.value("alerts") {
            let alerts = try reader.mapping(n, key: key("alerts"))
            try reader.rejectUnknown(alerts, allowed: ["on_failure", "on_sla_miss", "on_drift", "timeout"], context: key("alerts"))
            if let c = alerts.value("on_failure") { pipeline.alerts.onFailure = try reader.scalar(c, key: key("alerts.on_failure")) }
            if let c = alerts.value("on_sla_miss") { pipeline.alerts.onSLAMiss = try reader.scalar(c, key: key("alerts.on_sla_miss")) }
            if let c = alerts.value("on_drift") {
                pipeline.alerts.onDrift = try reader.scalar(c, key: key("alerts.on_drift"))
                if !pipeline.alerts.onDrift.isEmpty && map.value("drift") == nil {
                    throw ConfigError(
                        file: reader.file, line: c.mark?.line, key: key("alerts.on_drift"),
                        message: "on_drift needs drift: {reference: PATH} in the same pipeline, or it would never fire")
                }
            }
            if let t = alerts.value("timeout") { pipeline.alerts.timeout = try reader.span(t, key: key("alerts.timeout")) }
        }
        return pipeline
    }

    /// Two pipelines sharing a spool or archive would steal each other's files.
    private static func tooLarge(_ size: Int, file: String) -> ConfigError {
        ConfigError(
            file: file, line: nil, key: nil,
            message:
                "the configuration is \(size) bytes; at most \(maximumSize) are read (a configuration is a few KiB: is this the right file?)"
        )
    }

    private static func checkDistinctFolders(_ config: DaemonConfig, file: String) throws(ConfigError) {
        var spools: [String: String] = [:]
        for pipeline in config.pipelines {
            if let other = spools[pipeline.spool] {
                throw ConfigError(
                    file: file, line: nil, key: "pipelines.\(pipeline.name).spool",
                    message: "'\(pipeline.spool)' is also pipeline '\(other)''s spool; each pipeline needs its own")
            }
            spools[pipeline.spool] = pipeline.name
        }
    }

    private static func yamlErrorLine(_ error: any Error) -> Int? {
        guard let yaml = error as? YamlError else { return nil }
        switch yaml {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return nil
        }
    }

    private static func yamlProblem(_ error: any Error) -> String {
        guard let yaml = error as? YamlError else { return "\(error)" }
        switch yaml {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping"
        default: return "\(yaml)".split(separator: "\n").first.map(String.init) ?? "unknown error"
        }
    }
}

/// Validation policy names as written in the file.
public enum PolicyName: String, CaseIterable, Sendable {
    case strict, lenient
}

/// Typed reads of YAML nodes with errors that name the key, value and line.
private struct NodeReader {
    let file: String

    func fail(_ node: Node, _ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line, key: key, message: message)
    }

    func scalar(_ node: Node, key: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, key, "expected a single value, found \(kind(node))") }
        return scalar.string
    }

    func mapping(_ node: Node, key: String) throws(ConfigError) -> Node.Mapping {
        guard case .mapping(let mapping) = node else { throw fail(node, key, "expected a mapping of keys to values, found \(kind(node))") }
        return mapping
    }

    func rejectUnknown(_ mapping: Node.Mapping, allowed: [String], context: String) throws(ConfigError) {
        for (keyNode, _) in mapping {
            let name = keyNode.string ?? "?"
            if !allowed.contains(name) {
                throw fail(keyNode, name, "unknown key in \(context) (known keys: \(allowed.joined(separator: ", ")))")
            }
        }
    }

    func path(_ node: Node, key: String) throws(ConfigError) -> String {
        let value = try scalar(node, key: key)
        guard value.hasPrefix("/") else { throw fail(node, key, "'\(value)' must be an absolute path") }
        return value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    func nonEmptyString(_ node: Node, key: String) throws(ConfigError) -> String {
        let value = try scalar(node, key: key)
        guard !value.isEmpty else { throw fail(node, key, "must not be empty") }
        return value
    }

    func number(_ node: Node, key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let value = try scalar(node, key: key)
        guard let number = Double(value), range.contains(number) else {
            throw fail(node, key, "'\(value)' is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func integer(_ node: Node, key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try scalar(node, key: key)
        guard let number = Int(value), range.contains(number) else {
            throw fail(node, key, "'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func byteSize(_ node: Node, key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try scalar(node, key: key)
        guard let bytes = ByteSize.parse(value), range.contains(bytes) else {
            throw fail(
                node, key,
                "'\(value)' is not a size from \(ByteSize.text(range.lowerBound)) to \(ByteSize.text(range.upperBound)) (bytes, or with KiB, MiB, GiB: 64MiB)"
            )
        }
        return bytes
    }

    func bool(_ node: Node, key: String) throws(ConfigError) -> Bool {
        let value = try scalar(node, key: key)
        switch value.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(node, key, "'\(value)' is not true or false")
        }
    }

    func span(_ node: Node, key: String) throws(ConfigError) -> Duration {
        let value = try scalar(node, key: key)
        guard let duration = TimeSpan.duration(value) else {
            throw fail(node, key, "'\(value)' is not a time span of at most 100 years (examples: 500ms, 2s, 10min, 1h)")
        }
        return duration
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, key: String, of type: Choice.Type) throws(ConfigError) -> Choice
    where Choice.RawValue == String {
        let value = try scalar(node, key: key)
        guard let choice = Choice(rawValue: value) else {
            throw fail(node, key, "'\(value)' is not one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }

    func stringList(_ node: Node, key: String) throws(ConfigError) -> [String] {
        switch node {
        case .sequence(let sequence):
            var names: [String] = []
            for item in sequence { names.append(try nonEmptyString(item, key: key)) }
            return names
        case .scalar(let scalar):
            return PredictionOptions.columnNames(fromList: scalar.string)
        default:
            throw fail(node, key, "expected a list of column names")
        }
    }

    private func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

extension Node.Mapping {
    /// The pairs in file order.
    var pairs: [(Node, Node)] { map { ($0.key, $0.value) } }

    /// The value of key `name`, if present.
    func value(_ name: String) -> Node? { first { $0.key.string == name }?.value }
}
