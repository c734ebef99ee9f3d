import Glibc

/// A daemon failure: what failed, on which path, and the system's reason.
public struct DaemonError: Error, CustomStringConvertible, Sendable {
    /// What failed, on which path, and why.
    public let message: String
    /// errno when the failure came from a system call.
    public let errno: Int32?

    package init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    /// A failed system call, with the current errno.
    package static func system(_ call: String, path: String?) -> DaemonError {
        let code = Glibc.errno
        let reason = String(cString: strerror(code))
        return DaemonError("\(path.map { "\($0): " } ?? "")\(call) failed: \(reason)", errno: code)
    }

    public var description: String { message }
}
