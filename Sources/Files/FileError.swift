import Glibc
public import SystemPackage

/// A file-system failure: what happened, on which path, the system's reason, and what to do. The one
/// error of the ``Files`` layer, used as it is by the engine, the archive and the daemon.
///
/// The `code` is opaque so that new kinds of failure do not break callers; compare with the static codes
/// (`error.code == .noSpace`) or use `isNoSpace` to decide whether to retry.
public struct FileError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, opaque so new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case io
            case noSpace
            case exists
            case notFound
            case permissionDenied
            case invalid
            case compression
            case corrupt
        }

        private let value: Value

        private init(_ value: Value) { self.value = value }

        /// A system call on the file system failed for a reason not covered by a more specific code.
        public static let io = Code(.io)
        /// The file system is full or the user's quota is spent (ENOSPC, EDQUOT); worth retrying once space is freed.
        public static let noSpace = Code(.noSpace)
        /// Something that must not exist yet already does.
        public static let exists = Code(.exists)
        /// A file or folder that must exist does not.
        public static let notFound = Code(.notFound)
        /// The process may not read or write the path (EACCES, EPERM, EROFS).
        public static let permissionDenied = Code(.permissionDenied)
        /// The caller passed a value that cannot be accepted (a bad name, time or hash).
        public static let invalid = Code(.invalid)
        /// zstd or zlib reported an error while compressing.
        public static let compression = Code(.compression)
        /// The file's bytes cannot be decoded: a corrupt or truncated compressed stream. Retrying
        /// does not help; the file must be replaced.
        public static let corrupt = Code(.corrupt)

        /// A short name for the code, as used in logs.
        public var description: String {
            switch value {
            case .io: "io"
            case .noSpace: "noSpace"
            case .exists: "exists"
            case .notFound: "notFound"
            case .permissionDenied: "permissionDenied"
            case .invalid: "invalid"
            case .compression: "compression"
            case .corrupt: "corrupt"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, in words (without the path, errno text or advice).
    public let message: String
    /// The file or folder involved, when there is one.
    public let path: String?
    /// The `errno` of the failed system call, or 0 when the failure did not come from one.
    public let errno: Int32
    /// What the operator can do about it, when there is something to say.
    public let hint: String?

    /// True when the file system ran out of space (or quota): the daemon should keep the job and retry later.
    public var isNoSpace: Bool { code == .noSpace }

    /// Creates an error; prefer the `system` factory for failed system calls, which picks the code from `errno`.
    public init(code: Code, message: String, path: String? = nil, errno: Int32 = 0, hint: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
        self.hint = hint
    }

    /// The system's words for it, `No such file or directory (errno 2)`; the message when the
    /// failure did not come from a system call.
    public var reason: String {
        errno != 0 ? "\(String(cString: strerror(errno))) (errno \(errno))" : message
    }

    /// One line: `<path>: <message>: <strerror> (errno N); <hint>`.
    public var description: String {
        var text = ""
        if let path { text += "\(path): " }
        text += message
        if errno != 0 { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        if let hint { text += "; \(hint)" }
        return text
    }

    /// An error for a failed system call, with the code and a default hint chosen from `errno`.
    public static func system(_ message: String, path: String, errno code: Int32, hint: String? = nil) -> FileError {
        switch code {
        case ENOSPC, EDQUOT:
            return FileError(
                code: .noSpace, message: message, path: path, errno: code,
                hint: hint
                    ?? "free space on that file system (for example lower retention_days and run `inferwatcher prune`);"
                    + " the job is kept and retried"
            )
        case EEXIST, ENOTEMPTY:
            return FileError(code: .exists, message: message, path: path, errno: code, hint: hint)
        case ENOENT, ENOTDIR:
            return FileError(code: .notFound, message: message, path: path, errno: code, hint: hint)
        case EACCES, EPERM, EROFS:
            return FileError(
                code: .permissionDenied, message: message, path: path, errno: code,
                hint: hint
                    ?? "make the path writable by the daemon's user (ownership, mode, and the unit's ReadWritePaths=)"
            )
        default:
            return FileError(code: .io, message: message, path: path, errno: code, hint: hint)
        }
    }

    /// An error for a value the caller should not have passed.
    public static func invalid(_ message: String, path: String? = nil, hint: String? = nil) -> FileError {
        FileError(code: .invalid, message: message, path: path, hint: hint)
    }

    /// An error for a failed swift-system call.
    public static func system(_ message: String, path: String, _ error: Errno, hint: String? = nil) -> FileError {
        system(message, path: path, errno: error.rawValue, hint: hint)
    }
}
