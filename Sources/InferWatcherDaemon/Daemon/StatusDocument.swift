/// `<state_dir>/status.json`: what the daemon is doing, rewritten as it changes. The daemon writes
/// it through ``StatusBoard``; `inferwatcher status` reads it back with the same types.
public struct StatusDocument: Codable, Sendable, Equatable {
    /// The daemon's process id.
    public var pid: Int
    /// Where the daemon is in its life.
    public var phase: DaemonPhase
    /// When the file was written (Unix seconds).
    public var updatedAt: Double
    /// Each pipeline, in configuration order.
    public var pipelines: PipelineStatuses

    enum CodingKeys: String, CodingKey {
        case pid, phase
        case updatedAt = "updated_at"
        case pipelines
    }

    /// Pipelines by name, written as a JSON object in configuration order.
    public struct PipelineStatuses: Codable, Sendable, Equatable {
        /// Name and status, in order.
        public var entries: [(name: String, status: PipelineStatus)]

        /// The status of the pipeline called `name`.
        public subscript(name: String) -> PipelineStatus? { entries.first { $0.name == name }?.status }

        init(_ entries: [(name: String, status: PipelineStatus)]) {
            self.entries = entries
        }

        private struct Name: CodingKey {
            let stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Name.self)
            for (name, status) in entries { try container.encode(status, forKey: Name(stringValue: name)) }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Name.self)
            entries = try container.allKeys.map { ($0.stringValue, try container.decode(PipelineStatus.self, forKey: $0)) }
        }

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.entries.map(\.name) == rhs.entries.map(\.name) && lhs.entries.map(\.status) == rhs.entries.map(\.status)
        }
    }
}

/// Where the daemon is in its life; status.json's `phase`.
public enum DaemonPhase: String, Codable, Sendable {
    case starting, running, reloading, stopping, stopped
}

/// One pipeline's part of status.json.
public struct PipelineStatus: Codable, Sendable, Equatable {
    /// Files settling in `incoming/`.
    public var waiting = 0
    /// Claimed files waiting for a job slot or a retry.
    public var queued = 0
    /// The schedule's next elapse (Unix seconds); null for `immediate`.
    public var nextRun: Double?
    /// Jobs running now.
    public var running: [RunningJob] = []
    /// The last jobs that ended, newest first (at most 20).
    public var recent: [FinishedJob] = []

    enum CodingKeys: String, CodingKey {
        case waiting, queued
        case nextRun = "next_run"
        case running, recent
    }

    /// A job that is running now.
    public struct RunningJob: Codable, Sendable, Equatable {
        public var jobID: String
        public var input: String
        /// Unix seconds.
        public var startedAt: Double
        public var bytesRead = 0 {
            didSet { percent = totalBytes.flatMap { $0 > 0 ? min(100, bytesRead * 100 / $0) : nil } }
        }
        public var totalBytes: Int?
        /// How much of the input has been read, when its size is known.
        public private(set) var percent: Int?
        public var rowsRead = 0
        public var rowsPerSecond = 0.0
        /// Unix time of the job's last sign of life (start or a progress report).
        public var lastProgress: Double

        enum CodingKeys: String, CodingKey {
            case jobID = "job"
            case input
            case startedAt = "started_at"
            case bytesRead = "bytes_read"
            case totalBytes = "total_bytes"
            case percent
            case rowsRead = "rows_read"
            case rowsPerSecond = "rows_per_second"
            case lastProgress = "last_progress"
        }
    }

    /// How a job ended.
    public struct FinishedJob: Codable, Sendable, Equatable {
        /// What became of the input.
        public enum Outcome: String, Codable, Sendable {
            case archived
            case skippedDuplicate = "skipped duplicate"
            case quarantined
        }

        public var jobID: String
        public var input: String
        public var outcome: Outcome
        public var rows: Int
        public var seconds: Double
        /// Unix seconds.
        public var finishedAt: Double
        /// The archive folder, the quarantined file, or the earlier archive of the same content.
        public var location: String
        /// The largest feature PSI against the pipeline's reference; nil without one.
        public var maxPSI: Double? = nil
        /// The features whose PSI was above `drift.alert_psi`; nil without a reference.
        public var driftAlerts: [String]? = nil

        enum CodingKeys: String, CodingKey {
            case jobID = "job"
            case input, outcome, rows, seconds
            case finishedAt = "finished_at"
            case location
            case maxPSI = "max_psi"
            case driftAlerts = "drift_alerts"
        }
    }
}
