public import Files

/// Why a prediction run failed, in one line that names the file and position.
public struct PredictionError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. Opaque, so new kinds don't break users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The model can't be used as asked (configuration: fix the model or the options).
        public static let model = Code(name: "model")
        /// The input file broke a validation rule (``PredictionError/issue`` says which).
        public static let validation = Code(name: "validation")
        /// Reading the input or writing an output failed (may be transient).
        public static let io = Code(name: "io")
        /// The input cannot be decoded (a corrupt or truncated compressed stream, a malformed
        /// Parquet file): retrying does not help, the file must be replaced.
        public static let malformedInput = Code(name: "malformed-input")
        /// The options contradict each other.
        public static let usage = Code(name: "usage")
        /// The caller asked the run to stop (shutdown); nothing was published.
        public static let cancelled = Code(name: "cancelled")
    }

    public let code: Code
    public let message: String
    /// The input problem, for validation failures.
    public let issue: ValidationIssue?
    /// The underlying I/O error, for I/O failures.
    public let fileError: FileError?

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
        self.issue = nil
        self.fileError = nil
    }

    init(_ issue: ValidationIssue) {
        self.code = .validation
        self.message = issue.description
        self.issue = issue
        self.fileError = nil
    }

    init(_ error: FileError) {
        self.code = error.code == .corrupt ? .malformedInput : .io
        self.message = error.description
        self.issue = nil
        self.fileError = error
    }

    init(_ error: ModelError) {
        self.code = .model
        self.message = error.description
        self.issue = nil
        self.fileError = nil
    }

    /// The same error, its message followed by `note`.
    func noting(_ note: String) -> PredictionError {
        PredictionError(code: code, message: message + note, issue: issue, fileError: fileError)
    }

    private init(code: Code, message: String, issue: ValidationIssue?, fileError: FileError?) {
        self.code = code
        self.message = message
        self.issue = issue
        self.fileError = fileError
    }

    public var description: String { message.replacingNewlines() }
}
