import OrderedJSON

/// The contents of an archived job's `manifest.json`: what ran, on what, when, and the checksum of every file.
///
/// Written by `ArchiveWriter` with a fixed key order (the order of the properties below), two-space indents
/// and snake_case keys; `Codable` with the same keys, so readers can decode it with any JSON decoder.
public struct ArchiveManifest: Sendable, Hashable, Codable {
    /// The manifest format this module writes; bumped when a field changes meaning or is removed.
    public static let currentFormat = "inferwatcher-archive/1"

    /// The model that produced the outputs.
    public struct Model: Sendable, Hashable, Codable {
        /// The model file's path when the job ran.
        public var path: String
        /// The model file's SHA-256 (64 lowercase hex digits).
        public var sha256: String

        /// Creates a model entry.
        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// The input as received, and the file that stores it in the archive.
    public struct Input: Sendable, Hashable, Codable {
        /// The input's original file name (bytes that are not UTF-8 as U+FFFD).
        public var name: String
        /// The name in hex, byte for byte, when it is not UTF-8; null otherwise.
        public var nameHex: String?
        /// The original size in bytes.
        public var size: Int
        /// The SHA-256 of the original bytes (before any compression).
        public var sha256: String
        /// The file in the archive folder that holds the input.
        public var stored: StoredInput

        enum CodingKeys: String, CodingKey {
            case name
            case nameHex = "name_hex"
            case size, sha256, stored
        }
    }

    /// The archived copy of the input.
    public struct StoredInput: Sendable, Hashable, Codable {
        /// The file's name in the archive folder (`input.csv`, `input.csv.gz`, `input.csv.zst`,
        /// `input.parquet`).
        public var name: String
        /// How the stored file is compressed: `none`, `gzip` or `zstd`. An input that arrived
        /// compressed or as Parquet is stored as received, its `sha256` equal to the input's.
        public var compression: String
        /// The stored file's size in bytes.
        public var size: Int
        /// The stored file's SHA-256 (equal to the input's when not compressed).
        public var sha256: String
    }

    /// Row counts of the job.
    public struct RowCounts: Sendable, Hashable, Codable {
        /// Data rows read from the input (header excluded).
        public var read: Int
        /// Rows that got a prediction.
        public var predicted: Int
        /// Rows rejected under a lenient validation policy.
        public var rejected: Int

        /// Creates row counts.
        public init(read: Int, predicted: Int, rejected: Int) {
            self.read = read
            self.predicted = predicted
            self.rejected = rejected
        }
    }

    /// One file in the archive folder other than the input and the manifest itself.
    public struct File: Sendable, Hashable, Codable {
        /// The file's name in the archive folder.
        public var name: String
        /// Its size in bytes.
        public var size: Int
        /// Its SHA-256 (64 lowercase hex digits).
        public var sha256: String
    }

    /// The manifest format (`currentFormat` when written by this version).
    public var format: String
    /// The job id (see `JobID`).
    public var jobID: String
    /// The pipeline that ran the job.
    public var pipeline: String
    /// When the job started, RFC 3339 UTC with microseconds.
    public var startedAt: String
    /// When the job finished (before archiving), RFC 3339 UTC with microseconds.
    public var finishedAt: String
    /// `finishedAt - startedAt` in seconds, to the microsecond.
    public var durationSeconds: Double
    /// The model used.
    public var model: Model
    /// The input, as received and as stored.
    public var input: Input
    /// Row counts.
    public var rows: RowCounts
    /// Every other file in the folder (outputs and documents), sorted by name.
    public var files: [File]
    /// The version of the software that ran the job.
    public var softwareVersion: String
    /// The host that ran the job.
    public var host: String

    enum CodingKeys: String, CodingKey {
        case format
        case jobID = "job_id"
        case pipeline
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case durationSeconds = "duration_seconds"
        case model
        case input
        case rows
        case files
        case softwareVersion = "software_version"
        case host
    }

    /// The manifest as pretty-printed JSON, keys in `CodingKeys` order, ending in a newline.
    public func jsonText() throws -> String {
        try JSONValue(encoding: self).serialized()
    }
}
