/// `failed/<name>.error.json`: why an input was quarantined. The daemon writes it beside the input
/// (with the same words in `<name>.error.txt`); `Codable`, so tools and tests read it back.
public struct FailureReport: Codable, Sendable, Equatable {
    /// The input's name as dropped (bytes that are not UTF-8 as U+FFFD).
    public var input: String
    /// The input's name in hex, byte for byte, when it is not UTF-8; null otherwise.
    public var inputHex: String?
    /// The job id (`-` when the input could not even be hashed).
    public var job: String
    /// What went wrong, in one line.
    public var reason: String
    /// Attempts made, the last included.
    public var attempts: Int
    /// RFC 3339 UTC.
    public var failedAt: String
    /// For a validation failure: the file, line, column, value and rule that failed; null otherwise.
    public var file: String?
    public var line: Int?
    /// For a Parquet input, the row group (0-based) of the row, whose number is in `line`.
    public var rowGroup: Int?
    public var column: Int?
    public var columnName: String?
    public var value: String?
    public var rule: String?
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case input
        case inputHex = "input_hex"
        case job, reason, attempts
        case failedAt = "failed_at"
        case file, line
        case rowGroup = "row_group"
        case column
        case columnName = "column_name"
        case value, rule, message
    }
}
