/// One problem found in an input file: where it is, what the value was and which rule it broke.
public struct ValidationIssue: Error, CustomStringConvertible, Sendable, Equatable {
    /// The rule an input broke. Opaque, so new rules don't break users.
    public struct Rule: Hashable, Sendable, CustomStringConvertible {
        /// A stable identifier, used in report.json and error files.
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The file has no bytes at all.
        public static let emptyFile = Rule("empty-file")
        /// The file has a header but no data rows.
        public static let noDataRows = Rule("no-data-rows")
        /// A column the model or the configuration needs is not in the header.
        public static let missingColumn = Rule("missing-column")
        /// Two header fields have the same name.
        public static let duplicateHeader = Rule("duplicate-header")
        /// A row has more or fewer fields than the header.
        public static let raggedRow = Rule("ragged-row")
        /// A feature value is not a decimal number.
        public static let notANumber = Rule("not-a-number")
        /// A feature value is empty.
        public static let emptyValue = Rule("empty-value")
        /// A feature value is NaN or infinite.
        public static let nonFinite = Rule("non-finite")
        /// A feature value is finite but outside Float32's range.
        public static let outOfRange = Rule("out-of-range")
        /// The id value is empty.
        public static let emptyID = Rule("empty-id")
        /// An id value was seen before in the same file (a warning, never a rejection).
        public static let duplicateID = Rule("duplicate-id")
        /// A record is longer than the configured limit (`limits.max_record_bytes`, `--max-record-bytes`).
        public static let recordTooLong = Rule("record-too-long")
        /// The input has more columns than the configured limit (`limits.max_columns`, `--max-columns`).
        public static let tooManyColumns = Rule("too-many-columns")
        /// Quotes in a field do not follow RFC 4180.
        public static let malformedQuoting = Rule("malformed-quoting")
        /// A quoted field is never closed.
        public static let unterminatedQuote = Rule("unterminated-quote")
        /// The model, the header and the requested features do not agree.
        public static let featureMismatch = Rule("feature-mismatch")
        /// Under the lenient policy, more rows were rejected than allowed.
        public static let tooManyRejected = Rule("too-many-rejected")
        /// The model produced NaN or infinity for a row.
        public static let modelOutputNotFinite = Rule("model-output-not-finite")
    }

    /// The input file.
    public let file: String
    /// 1-based physical line (the header is line 1); for a Parquet file, the 1-based row.
    public let line: Int
    /// For a Parquet file, the row's row group (0-based, as Parquet tools count them); nil for CSV.
    public let rowGroup: Int?
    /// 1-based column index, when the issue is about one field.
    public let column: Int?
    /// The column's header name, when known.
    public let columnName: String?
    /// The offending text (shortened to 80 characters), when there is one.
    public let value: String?
    /// The rule broken.
    public let rule: Rule
    /// A sentence saying what is wrong and, where useful, what to do.
    public let message: String

    public init(
        file: String, line: Int, rowGroup: Int? = nil, column: Int? = nil, columnName: String? = nil, value: String? = nil,
        rule: Rule, message: String
    ) {
        self.file = file
        self.line = line
        self.rowGroup = rowGroup
        self.column = column
        self.columnName = columnName
        self.value = value.map { $0.count > 80 ? String($0.prefix(77)) + "..." : $0 }
        self.rule = rule
        self.message = message
    }

    /// `file:line:column: message [rule]`, on one line; `file: row N (row group G), column C:
    /// message [rule]` for a Parquet file.
    public var description: String { described(as: file) }

    /// ``description`` with the file called `name`.
    public func described(as name: String) -> String {
        var text: String
        if let rowGroup {
            text = "\(name): row \(line) (row group \(rowGroup))"
            if let column { text += ", column \(column)" }
            text += ":"
        } else {
            text = "\(name):\(line):"
            if let column { text += "\(column):" }
        }
        text += " \(message) [\(rule)]"
        return text.replacingNewlines()
    }
}

extension String {
    /// The text with CR/LF shown as `\r`/`\n`, so an error stays on one line.
    func replacingNewlines() -> String {
        var result = ""
        result.reserveCapacity(utf8.count)
        for character in unicodeScalars {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}

/// How strictly rows are checked.
public enum ValidationPolicy: Sendable, Equatable {
    /// Any bad row rejects the whole file.
    case strict
    /// Bad rows are written to rejected.csv with their line and reason; the file is rejected
    /// only when more than `maxRejectedFraction` of its rows are bad.
    case lenient(maxRejectedFraction: Double)
}
