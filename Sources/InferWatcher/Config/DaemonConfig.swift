import Archive
import Engine

/// The daemon's configuration (`/etc/inferwatcher/inferwatcher.yaml`), with DESIGN §3's defaults.
struct DaemonConfig: Sendable, Equatable {
    /// The default location of the configuration file.
    static let defaultPath = "/etc/inferwatcher/inferwatcher.yaml"

    /// The daemon's own bookkeeping: status, duplicate index.
    var stateDirectory = "/var/lib/inferwatcher/state"
    /// On SIGTERM, how long running jobs may take to finish before they are abandoned (their
    /// files stay in processing/ and are redone on start). Keep it below the unit's TimeoutStopSec.
    var stopTimeoutSeconds = 30.0
    /// Pipelines in file order.
    var pipelines: [PipelineConfig] = [PipelineConfig(name: "default")]

    func pipeline(named name: String) -> PipelineConfig? { pipelines.first { $0.name == name } }
}

/// One spool → model → archive pipeline.
struct PipelineConfig: Sendable, Equatable {
    /// What to do with content that was archived before.
    enum DuplicatePolicy: String, Sendable, CaseIterable {
        case process, skip
    }

    var name: String
    var spool: String
    var archive: String
    var model = "/var/lib/inferwatcher/models/model.onnx"
    var threshold = 0.5
    var idColumn = "user_id"
    var includeFeatures = true
    var features: [String] = []
    var batchSize = 0
    var threads = 0
    var schedule = Schedule.immediate
    var settleSeconds = 2.0
    /// The safety-net rescan of incoming/ (inotify does the real work).
    var rescanSeconds = 60.0
    var policy = PolicyName.strict
    var maxRejectedFraction = 0.01
    var retryAttempts = 3
    var initialBackoffSeconds = 10.0
    var maxBackoffSeconds = 3600.0
    var slaSeconds = 7200.0
    var duplicates = DuplicatePolicy.process
    var compression = Compression.zstd
    var retentionDays = 90
    var maxParallelJobs = 1

    init(name: String) {
        self.name = name
        spool = "/var/spool/inferwatcher/\(name)"
        archive = "/var/lib/inferwatcher/archive/\(name)"
    }

    var incoming: String { spool + "/incoming" }
    var processing: String { spool + "/processing" }
    var failed: String { spool + "/failed" }

    /// The engine options this pipeline's jobs use.
    var predictionOptions: PredictionOptions {
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
        options.hashInput = false  // the job executor hashes the file first (it names the job) and fills it in
        return options
    }

    /// The wait before retry number `attempt` (1-based): initial × 2^(attempt-1), at most the maximum.
    func backoff(beforeRetry attempt: Int) -> Double {
        min(initialBackoffSeconds * Double(1 << min(max(attempt - 1, 0), 30)), maxBackoffSeconds)
    }
}
