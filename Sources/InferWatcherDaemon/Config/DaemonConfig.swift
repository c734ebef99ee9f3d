public import Archive
public import Engine

/// The daemon's configuration (`/etc/inferwatcher/inferwatcher.yaml`), with DESIGN §3's defaults.
public struct DaemonConfig: Sendable, Equatable {
    /// The default location of the configuration file.
    public static let defaultPath = "/etc/inferwatcher/inferwatcher.yaml"

    /// The daemon's own bookkeeping: status, duplicate index.
    public var stateDirectory = "/var/lib/inferwatcher/state"
    /// On SIGTERM, how long running jobs may take to finish before they are abandoned (their
    /// files stay in processing/ and are redone on start). Keep it below the unit's TimeoutStopSec.
    public var stopTimeout = Duration.seconds(30)
    /// `limits:`, applied to every pipeline's jobs.
    public var limits = InputLimits()
    /// `metrics:`: the Prometheus textfile for node_exporter (off by default).
    public var metrics = MetricsSettings()
    /// Pipelines in file order.
    public var pipelines: [PipelineConfig] = [PipelineConfig(name: "default")]

    public func pipeline(named name: String) -> PipelineConfig? { pipelines.first { $0.name == name } }
}

/// Resource limits on untrusted input (`limits:` at the top level of the YAML).
public struct InputLimits: Sendable, Equatable {
    /// The longest CSV record accepted, in bytes; a longer one fails the file naming its line.
    public var maxRecordBytes = PredictionOptions.defaultMaxRecordBytes
    /// The most columns an input may have (a CSV header, a Parquet file).
    public var maxColumns = PredictionOptions.defaultMaxColumns

    public init() {}
}

/// Prometheus metrics as a node_exporter textfile (`metrics:` at the top level of the YAML): one
/// file per daemon, for the textfile collector (docs/DAEMON.md, "Metrics").
public struct MetricsSettings: Sendable, Equatable {
    /// The file written, ending in `.prom` (node_exporter reads only those), usually
    /// `/var/lib/prometheus/node-exporter/inferwatcher.prom`; empty: no metrics.
    public var textfile = ""
    /// How often the file is rewritten besides after each job, so that the queue depth stays fresh.
    public var interval = Duration.seconds(15)

    public init() {}

    /// True when a textfile is configured.
    public var isEnabled: Bool { !textfile.isEmpty }
}

/// One spool → model → archive pipeline.
public struct PipelineConfig: Sendable, Equatable {
    /// What to do with content that was archived before.
    public enum DuplicatePolicy: String, Sendable, CaseIterable {
        case process, skip
    }

    public var name: String
    public var spool: String
    public var archive: String
    public var model = "/var/lib/inferwatcher/models/model.onnx"
    public var threshold = 0.5
    public var idColumn = "user_id"
    public var includeFeatures = true
    public var features: [String] = []
    public var batchSize = 0
    public var threads = 0
    public var schedule = Schedule.immediate
    public var settle = Duration.seconds(2)
    /// The safety-net rescan of incoming/ (inotify does the real work).
    public var rescan = Duration.seconds(60)
    public var policy = PolicyName.strict
    public var maxRejectedFraction = 0.01
    public var retryAttempts = 3
    public var initialBackoff = Duration.seconds(10)
    public var maxBackoff = Duration.seconds(3600)
    public var sla = Duration.seconds(7200)
    public var duplicates = DuplicatePolicy.process
    public var compression = Compression.zstd
    public var retentionDays = 90
    public var maxParallelJobs = 1
    /// Commands run when an input is quarantined, a job misses its SLA or drifts (`alerts:`).
    public var alerts = AlertCommands()
    /// Drift detection against a reference profile (`drift:`), loaded with the configuration.
    public var drift: DriftSettings?
    /// The top level's `limits:`, copied into each pipeline by ``ConfigLoader`` so that its jobs'
    /// ``predictionOptions`` carry them.
    public var limits = InputLimits()

    /// A pipeline with every default, its folders named after it.
    public init(name: String) {
        self.name = name
        spool = "/var/spool/inferwatcher/\(name)"
        archive = "/var/lib/inferwatcher/archive/\(name)"
    }

    public var incoming: String { spool + "/incoming" }
    public var processing: String { spool + "/processing" }
    public var failed: String { spool + "/failed" }

    /// The engine options this pipeline's jobs use.
    public var predictionOptions: PredictionOptions {
        var options = PredictionOptions()
        options.idColumn = idColumn
        options.includeFeatures = includeFeatures
        options.features = features.isEmpty ? nil : features
        options.threshold = threshold
        switch policy {
        case .strict: options.policy = .strict
        case .lenient: options.policy = .lenient(maxRejectedFraction: maxRejectedFraction)
        }
        options.batchSize = batchSize
        options.threads = threads
        options.maxRecordBytes = limits.maxRecordBytes
        options.maxColumns = limits.maxColumns
        options.drift = drift
        options.hashInput = false  // the job executor hashes the file first (it names the job) and fills it in
        return options
    }

    /// The wait before retry number `attempt` (1-based): initial × 2^(attempt-1), at most the maximum.
    public func backoff(beforeRetry attempt: Int) -> Duration {
        min(initialBackoff * (1 << min(max(attempt - 1, 0), 30)), maxBackoff)
    }
}
