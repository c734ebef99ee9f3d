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
        /// The input's original file name.
        public var name: String
        /// The original size in bytes.
        public var size: Int
        /// The SHA-256 of the original bytes (before any compression).
        public var sha256: String
        /// The file in the archive folder that holds the input.
        public var stored: StoredInput
    }

    /// The archived copy of the input.
    public struct StoredInput: Sendable, Hashable, Codable {
        /// The file's name in the archive folder (`input.csv`, `input.csv.gz`, `input.csv.zst`).
        public var name: String
        /// `none`, `gzip` or `zstd`.
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

    /// The manifest as pretty-printed JSON with a fixed key order, ending in a newline.
    public func jsonText() -> String {
        var json = JSONText()
        json.object {
            $0.field("format", string: format)
            $0.field("job_id", string: jobID)
            $0.field("pipeline", string: pipeline)
            $0.field("started_at", string: startedAt)
            $0.field("finished_at", string: finishedAt)
            $0.field("duration_seconds", number: Timestamp.sixDecimals(durationSeconds))
            $0.field("model") {
                $0.object {
                    $0.field("path", string: model.path)
                    $0.field("sha256", string: model.sha256)
                }
            }
            $0.field("input") {
                $0.object {
                    $0.field("name", string: input.name)
                    $0.field("size", number: String(input.size))
                    $0.field("sha256", string: input.sha256)
                    $0.field("stored") {
                        $0.object {
                            $0.field("name", string: input.stored.name)
                            $0.field("compression", string: input.stored.compression)
                            $0.field("size", number: String(input.stored.size))
                            $0.field("sha256", string: input.stored.sha256)
                        }
                    }
                }
            }
            $0.field("rows") {
                $0.object {
                    $0.field("read", number: String(rows.read))
                    $0.field("predicted", number: String(rows.predicted))
                    $0.field("rejected", number: String(rows.rejected))
                }
            }
            $0.field("files") {
                $0.array(files) { json, file in
                    json.object {
                        $0.field("name", string: file.name)
                        $0.field("size", number: String(file.size))
                        $0.field("sha256", string: file.sha256)
                    }
                }
            }
            $0.field("software_version", string: softwareVersion)
            $0.field("host", string: host)
        }
        json.text += "\n"
        return json.text
    }
}

/// A small pretty-printing JSON writer: two-space indents, `"key": value`, keys in the order written.
struct JSONText {
    var text = ""
    private var depth = 0
    private var needsComma = false

    /// Writes `{ ... }` with the fields that `body` adds.
    mutating func object(_ body: (inout JSONText) -> Void) {
        container(open: "{", close: "}", body)
    }

    /// Writes `[ ... ]` with one element per item.
    mutating func array<Item>(_ items: [Item], _ element: (inout JSONText, Item) -> Void) {
        container(open: "[", close: "]") { json in
            for item in items {
                json.beginElement()
                element(&json, item)
            }
        }
    }

    /// Writes `"key": "value"`.
    mutating func field(_ key: String, string value: String) {
        field(key) { $0.text += JSONText.quoted(value) }
    }

    /// Writes `"key": value` where `value` is already a JSON number.
    mutating func field(_ key: String, number value: String) {
        field(key) { $0.text += value }
    }

    /// Writes `"key": ` and then the value that `body` writes.
    mutating func field(_ key: String, _ body: (inout JSONText) -> Void) {
        beginElement()
        text += JSONText.quoted(key) + ": "
        body(&self)
    }

    private mutating func container(open: String, close: String, _ body: (inout JSONText) -> Void) {
        text += open
        depth += 1
        needsComma = false
        let before = text.utf8.count
        body(&self)
        let empty = text.utf8.count == before
        depth -= 1
        if !empty { newline() }
        text += close
        needsComma = true
    }

    private mutating func beginElement() {
        if needsComma { text += "," }
        newline()
        needsComma = true
    }

    private mutating func newline() {
        text += "\n" + String(repeating: "  ", count: depth)
    }

    /// `value` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{0}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
