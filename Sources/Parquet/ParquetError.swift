/// An error reading a Parquet file: what happened, where, and what to do.
///
/// The code is an opaque struct (as swift-service-lifecycle does) so new codes don't break
/// callers that switch on it.
public struct ParquetError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The file could not be opened or read (the message carries the errno text).
        public static let io = Code("io")
        /// The file is not Parquet: too short, or no `PAR1` magic at either end.
        public static let notParquet = Code("not-parquet")
        /// The footer's metadata (Thrift) is malformed or inconsistent.
        public static let corruptMetadata = Code("corrupt-metadata")
        /// A page (header, levels, values or compressed data) is malformed.
        public static let corruptPage = Code("corrupt-page")
        /// The file is valid Parquet but uses something this reader does not support.
        public static let unsupported = Code("unsupported")
        /// A row group or column index outside the file's.
        public static let outOfRange = Code("out-of-range")
        /// The column holds no numbers (text, binary, dates, timestamps).
        public static let notNumeric = Code("not-numeric")

        /// The code's name, e.g. `corrupt-page`.
        public var description: String { name }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened and what to do, without the location.
    public let message: String
    /// The file, when known.
    public var path: String?
    /// The byte offset in the file, when known.
    public var offset: Int?
    /// The row group (0-based), when known.
    public var rowGroup: Int?
    /// The column's name, when known.
    public var column: String?

    /// An error with a code and a message; the location is added by the caller that knows it.
    public init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// `path: row group 2, column "price", byte 1234: message`.
    public var description: String {
        var location: [String] = []
        if let rowGroup { location.append("row group \(rowGroup)") }
        if let column { location.append("column \"\(column)\"") }
        if let offset { location.append("byte \(offset)") }
        var text = path.map { "\($0): " } ?? ""
        if !location.isEmpty { text += location.joined(separator: ", ") + ": " }
        return text + message
    }

    /// The same error with the location filled in where it was not known yet.
    func located(path: String? = nil, rowGroup: Int? = nil, column: String? = nil) -> ParquetError {
        var copy = self
        if copy.path == nil { copy.path = path }
        if copy.rowGroup == nil { copy.rowGroup = rowGroup }
        if copy.column == nil { copy.column = column }
        return copy
    }
}
