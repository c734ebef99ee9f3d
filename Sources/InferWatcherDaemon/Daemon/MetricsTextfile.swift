import Files
import Logging
import Prometheus
import Synchronization

/// The daemon's Prometheus metrics, written as a textfile for node_exporter's textfile collector
/// (`metrics.textfile`), the way Debian documents it for batch jobs: no HTTP endpoint (the unit
/// keeps `PrivateNetwork=yes`); node_exporter serves the file with its own metrics.
///
/// The series live in a `PrometheusCollectorRegistry` of swift-prometheus, used directly (not its
/// swift-metrics facade, which writes empty HELP lines and can be bootstrapped only once per
/// process), each family made once with its help text. ``write()`` replaces the file atomically
/// (a hidden temporary name in the same folder, renamed over it) with mode 0644, whatever the
/// unit's `UMask=`, so that node_exporter's user may read it. A write never fails anything: a
/// problem (the folder missing because node_exporter is not installed, a permission) is logged
/// once per distinct error, and the next write tries again.
///
/// The pipeline loops update it as jobs end and the queue changes; the daemon rewrites the file
/// after every job, at start-up, every `metrics.interval` and at stop. Counters start at zero with
/// the daemon (Prometheus' `rate()` and `increase()` take resets in their stride).
final class MetricsTextfile: Sendable {
    /// The textfile (`metrics.textfile`).
    let path: String
    private let registry = PrometheusCollectorRegistry()
    private let logger: Logger
    private let state = Mutex(State())
    /// The last write's error, so that each distinct one is logged once, not every interval; its
    /// own lock, held while writing, so that the pipelines' updates never wait for the file.
    private let lastWriteError = Mutex<String?>(nil)

    /// Upper bounds of the job duration histogram's buckets, in seconds: jobs take from a fraction
    /// of a second (a few thousand rows) to hours (the default `sla` is 2 h).
    static let durationBuckets: [Duration] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200].map {
        Duration.milliseconds(Int64($0 * 1000))
    }

    /// Names (namespace, name, unit) and help texts, one place for each family.
    enum Family {
        static var rows: MetricNameDescriptor {
            family(
                "rows", unit: "total",
                help: "Rows of archived jobs, by pipeline and outcome (predicted, or rejected by lenient validation).")
        }
        static var jobDuration: MetricNameDescriptor {
            family(
                "job_duration", unit: "seconds", help: "How long jobs took, from their start to their archive or quarantine, in seconds.")
        }
        static var lastSuccess: MetricNameDescriptor {
            family(
                "last_success_timestamp", unit: "seconds",
                help: "When the pipeline's last job succeeded (archived, found archived, or skipped as a duplicate), in Unix seconds.")
        }
        static var queueDepth: MetricNameDescriptor {
            family(
                "queue_depth", unit: "",
                help: "Files waiting for a job: settling or waiting for the schedule in incoming/, or claimed and queued in processing/.")
        }
        static var quarantined: MetricNameDescriptor {
            family("files_quarantined", unit: "total", help: "Input files moved to failed/ (invalid, or given up after their retries).")
        }
        static var drift: MetricNameDescriptor {
            family(
                "drift_psi", unit: "", help: "Population stability index of each feature in the pipeline's last job against its reference.")
        }
        static var buildInfo: MetricNameDescriptor {
            family("build", unit: "info", help: "The running inferwatcher's version; always 1.")
        }

        private static func family(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "inferwatcher", metricName: name, unitName: unit, helpText: help)
        }
    }

    private struct PipelineSeries {
        let predicted: Counter
        let rejected: Counter
        let quarantined: Counter
        let queueDepth: Gauge
        let duration: DurationHistogram
        var lastSuccess: Gauge?
        var drift: [String: Gauge] = [:]
    }

    private struct State {
        var pipelines: [String: PipelineSeries] = [:]
    }

    /// Metrics for the file at `path`; `build_info` carries `version`.
    init(path: String, version: String = SoftwareVersion.current, logger: Logger) {
        self.path = path
        var logger = logger
        logger[metadataKey: "iw.metrics"] = "\(path)"
        self.logger = logger
        registry.makeGauge(descriptor: Family.buildInfo, labels: [("version", version)]).set(to: 1)
    }

    /// Makes `pipeline`'s series (at zero) if they are not there yet: a pipeline's counters are in
    /// the file from the start, so that `rate()` sees their first increase.
    func addPipeline(_ pipeline: String) {
        _ = series(pipeline) { _ in }
    }

    /// Records an archived job: its rows, duration and, as it succeeded, the time it ended.
    func recordArchived(pipeline: String, predicted: Int, rejected: Int, duration: Duration, at end: UnixInstant) {
        series(pipeline) { series in
            series.predicted.increment(by: Int64(predicted))
            series.rejected.increment(by: Int64(rejected))
            series.duration.record(duration)
        }
        recordSuccess(pipeline: pipeline, at: end)
    }

    /// Records a job that succeeded without running the model (found archived by an earlier run,
    /// or skipped as a duplicate): the last success only.
    func recordSuccess(pipeline: String, at end: UnixInstant) {
        series(pipeline) { series in
            if series.lastSuccess == nil {
                series.lastSuccess = registry.makeGauge(
                    descriptor: Family.lastSuccess, labels: [("pipeline", pipeline)])
            }
            series.lastSuccess?.set(to: end.unixSeconds)
        }
    }

    /// Records a file moved to `failed/` after a job of `duration`.
    func recordQuarantine(pipeline: String, duration: Duration) {
        series(pipeline) { series in
            series.quarantined.increment()
            series.duration.record(duration)
        }
    }

    /// Sets how many files of `pipeline` wait for a job (in `incoming/` and queued in `processing/`).
    func setQueueDepth(pipeline: String, _ depth: Int) {
        series(pipeline) { series in series.queueDepth.set(to: Double(depth)) }
    }

    /// Sets `inferwatcher_drift_psi{pipeline,feature}` to the population stability index of each
    /// feature, as drift detection computed it for `pipeline`'s last job; call it once per job
    /// with every feature it measured, then ``write()`` (or let the job's end write the file).
    ///
    /// The call replaces the pipeline's earlier values: a feature left out of `psi` loses its
    /// series, so the file always shows the last job's drift. A value that is not finite (NaN, an
    /// infinity from an empty reference bin) is left out too, and so is a repeated feature after
    /// its first value. Feature names may hold any characters: label values are escaped (`\"`,
    /// `\\`, `\n`) in the file. Safe to call from any thread.
    /// - Parameters:
    ///   - pipeline: the pipeline's name, as configured.
    ///   - psi: each feature's PSI, in any order.
    func recordDrift(pipeline: String, psi: [(feature: String, psi: Double)]) {
        series(pipeline) { series in
            var kept: [String: Gauge] = [:]
            for (feature, value) in psi where value.isFinite && kept[feature] == nil {
                let gauge =
                    series.drift[feature]
                    ?? registry.makeGauge(
                        descriptor: Family.drift, labels: [("pipeline", pipeline), ("feature", feature)])
                gauge.set(to: value)
                kept[feature] = gauge
            }
            for (feature, gauge) in series.drift where kept[feature] == nil { registry.unregisterGauge(gauge) }
            series.drift = kept
        }
    }

    /// The file's text: every family with its `# HELP` and `# TYPE` lines, in name order, each
    /// family's series in label order (the registry's own order changes from run to run).
    func emit() -> [UInt8] {
        Self.sorted(registry.emitToBuffer())
    }

    /// Replaces the textfile with ``emit()``, atomically, mode 0644; logs a failure once per
    /// distinct error and never throws.
    func write() {
        let bytes = emit()
        lastWriteError.withLock { lastError in
            do throws(FileError) {
                try AtomicFile.write(bytes, to: path, durable: false, permissions: 0o644)
                if lastError != nil {
                    logger.notice("metrics textfile written again")
                    lastError = nil
                }
            } catch {
                let message = Self.explain(error, path: path)
                if lastError != message {
                    logger.warning("\(message); metrics go on being collected and the file is tried again every write")
                    lastError = message
                }
            }
        }
    }

    /// What went wrong, and what to do about it.
    private static func explain(_ error: FileError, path: String) -> String {
        let folder = FileTree.parent(of: path)
        if error.code == .notFound {
            return "cannot write the metrics textfile \(path): the folder \(folder) does not exist "
                + "(is prometheus-node-exporter installed? its textfile collector reads /var/lib/prometheus/node-exporter)"
        }
        return "cannot write the metrics textfile \(path): \(error)"
    }

    /// Runs `change` on `pipeline`'s series, made first if needed.
    @discardableResult
    private func series(_ pipeline: String, _ change: (inout PipelineSeries) -> Void) -> PipelineSeries {
        state.withLock { state in
            var series =
                state.pipelines[pipeline]
                ?? PipelineSeries(
                    predicted: registry.makeCounter(
                        descriptor: Family.rows, labels: [("pipeline", pipeline), ("outcome", "predicted")]),
                    rejected: registry.makeCounter(
                        descriptor: Family.rows, labels: [("pipeline", pipeline), ("outcome", "rejected")]),
                    quarantined: registry.makeCounter(
                        descriptor: Family.quarantined, labels: [("pipeline", pipeline)]),
                    queueDepth: registry.makeGauge(descriptor: Family.queueDepth, labels: [("pipeline", pipeline)]),
                    duration: registry.makeDurationHistogram(
                        descriptor: Family.jobDuration, labels: [("pipeline", pipeline)], buckets: Self.durationBuckets))
            change(&series)
            state.pipelines[pipeline] = series
            return series
        }
    }

    /// `exposition` with its families in name order and each family's samples in label order.
    ///
    /// A family is its `# HELP`/`# TYPE` lines and the samples after them. Samples are ordered by
    /// their labels without `le`, stably, so that a histogram's buckets, `_sum` and `_count` stay
    /// together and in the registry's order (`le` ascending, then `+Inf`).
    static func sorted(_ exposition: [UInt8]) -> [UInt8] {
        var families: [(name: Substring, header: [Substring], samples: [Substring])] = []
        let text = String(decoding: exposition, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# ") {
                let name = line.split(separator: " ", maxSplits: 3).dropFirst(2).first ?? ""
                if families.last?.name != name { families.append((name, [], [])) }
                families[families.count - 1].header.append(line)
            } else if !families.isEmpty {
                families[families.count - 1].samples.append(line)
            }
        }
        var output = ""
        for family in families.sorted(by: { $0.name < $1.name }) {
            for line in family.header { output += line + "\n" }
            let keyed = family.samples.enumerated().map { (key: seriesKey($0.element), index: $0.offset, line: $0.element) }
            for sample in keyed.sorted(by: { ($0.key, $0.index) < ($1.key, $1.index) }) { output += sample.line + "\n" }
        }
        return Array(output.utf8)
    }

    /// A sample's labels without `le`: `name{a="x",le="1.0"} 3` → `a="x"`. The registry writes
    /// `le` last, and a `"` inside a label value is always escaped, so `,le="` starts `le` alone.
    private static func seriesKey(_ sample: Substring) -> String {
        guard let open = sample.firstIndex(of: "{"), let close = sample.lastIndex(of: "}") else { return "" }
        let labels = Array(sample[sample.index(after: open)..<close].utf8)
        if labels.starts(with: "le=\"".utf8) { return "" }
        let marker = Array(",le=\"".utf8)
        var start = labels.count - marker.count
        while start >= 0 {
            if labels[start..<start + marker.count].elementsEqual(marker) { return String(decoding: labels[..<start], as: UTF8.self) }
            start -= 1
        }
        return String(decoding: labels, as: UTF8.self)
    }
}
