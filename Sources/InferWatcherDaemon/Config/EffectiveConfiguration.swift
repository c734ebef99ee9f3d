import Archive
import Engine
public import OrderedJSON

extension DaemonConfig {
    /// Every setting, defaults included, under the keys of the configuration file and in its
    /// order: what `check-config` prints, as YAML (``yamlText()``, which the loader reads back to
    /// the same configuration) or as JSON.
    public var effectiveSettings: JSONValue {
        .object([
            ("state_dir", .string(stateDirectory)),
            ("stop_timeout", .string(TimeSpan.exact(stopTimeout))),
            (
                "limits",
                .object([
                    ("max_record_bytes", .string(ByteSize.text(limits.maxRecordBytes))),
                    ("max_columns", .int(limits.maxColumns)),
                ])
            ),
            ("metrics", .object([("textfile", .string(metrics.textfile)), ("interval", .string(TimeSpan.exact(metrics.interval)))])),
            ("pipelines", .object(pipelines.map { ($0.name, $0.effectiveSettings) })),
        ])
    }

    /// ``effectiveSettings`` as YAML: block mappings, flow lists, every string double-quoted.
    public func yamlText() -> String {
        var text = ""
        Self.writeYAML(effectiveSettings, indent: 0, into: &text)
        return text
    }

    private static func writeYAML(_ value: JSONValue, indent: Int, into text: inout String) {
        guard case .object(let members) = value else { return }
        let pad = String(repeating: " ", count: indent)
        for (key, member) in members {
            if case .object(let inner) = member, !inner.isEmpty {
                text += "\(pad)\(yamlScalar(.string(key))):\n"
                writeYAML(member, indent: indent + 2, into: &text)
            } else {
                text += "\(pad)\(yamlScalar(.string(key))): \(yamlScalar(member))\n"
            }
        }
    }

    /// A scalar, list or empty mapping in YAML's flow style. A double-quoted YAML string takes
    /// JSON's escapes, so strings are written as JSON writes them; a word of ASCII letters,
    /// digits, `_`, `-` and `.` that YAML would not read as a number or a boolean goes unquoted
    /// (`lenient`, `500ms`, `churn`).
    private static func yamlScalar(_ value: JSONValue) -> String {
        switch value {
        case .string(let text) where isPlainWord(text):
            return text
        case .array(let items):
            return "[" + items.map(yamlScalar).joined(separator: ", ") + "]"
        case .object:
            return "{}"
        default:
            return String(value.serialized().dropLast())  // one line: scalars serialize without breaks
        }
    }
}

extension DaemonConfig {
    private static func isPlainWord(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        guard let first = scalars.first, first != "-", first != "." else { return false }
        let allowed = scalars.allSatisfy { ($0.isASCII && $0.properties.isAlphabetic) || "0123456789_-.".unicodeScalars.contains($0) }
        let hasLetter = scalars.contains { $0.isASCII && $0.properties.isAlphabetic && $0 != "e" && $0 != "E" }
        let keyword = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"].contains(text.lowercased())
        return allowed && hasLetter && !keyword
    }
}

extension PipelineConfig {
    /// This pipeline's settings under the configuration file's keys, in its order.
    var effectiveSettings: JSONValue {
        .object([
            ("spool", .string(spool)),
            ("archive", .string(archive)),
            ("model", .string(model)),
            ("threshold", .double(threshold)),
            ("id_column", .string(idColumn)),
            ("include_features", .bool(includeFeatures)),
            ("features", .array(features.map(JSONValue.string))),
            ("batch_size", .int(batchSize)),
            ("threads", .int(threads)),
            ("schedule", .string(schedule.description)),
            ("settle", .string(TimeSpan.exact(settle))),
            ("rescan", .string(TimeSpan.exact(rescan))),
            ("validation", .object([("policy", .string(policy.rawValue)), ("max_rejected_fraction", .double(maxRejectedFraction))])),
            (
                "retries",
                .object([
                    ("attempts", .int(retryAttempts)), ("initial_backoff", .string(TimeSpan.exact(initialBackoff))),
                    ("max_backoff", .string(TimeSpan.exact(maxBackoff))),
                ])
            ),
            ("sla", .string(TimeSpan.exact(sla))),
            ("duplicates", .string(duplicates.rawValue)),
            ("compression", .string(compression.rawValue)),
            ("retention_days", .int(retentionDays)),
            ("max_parallel_jobs", .int(maxParallelJobs)),
            (
                "drift",
                drift.map { drift in
                    .object([
                        ("reference", .string(drift.referencePath)), ("warn_psi", .double(drift.warnPSI)),
                        ("alert_psi", .double(drift.alertPSI)),
                    ])
                } ?? .null
            ),
            (
                "alerts",
                .object([
                    ("on_failure", .string(alerts.onFailure)), ("on_sla_miss", .string(alerts.onSLAMiss)),
                    ("on_drift", .string(alerts.onDrift)), ("timeout", .string(TimeSpan.exact(alerts.timeout))),
                ])
            ),
        ])
    }
}

extension TimeSpan {
    /// A span as the configuration file writes it, exactly (to the millisecond the loader keeps):
    /// `7d`, `2h`, `10min`, `90s`, `1500ms`.
    public static func exact(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        guard milliseconds % 1000 == 0 else { return "\(milliseconds)ms" }
        let seconds = milliseconds / 1000
        for (name, size) in [("d", Int64(86400)), ("h", 3600), ("min", 60)] where seconds != 0 && seconds % size == 0 {
            return "\(seconds / size)\(name)"
        }
        return "\(seconds)s"
    }
}
