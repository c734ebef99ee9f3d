import Glibc

/// A daemon failure: what failed, on which path, and the system's reason.
struct DaemonError: Error, CustomStringConvertible, Sendable {
    let message: String
    /// errno when the failure came from a system call.
    let errno: Int32?

    init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    /// A failed system call, with the current errno.
    static func system(_ call: String, path: String?) -> DaemonError {
        let code = Glibc.errno
        let reason = String(cString: strerror(code))
        return DaemonError("\(path.map { "\($0): " } ?? "")\(call) failed: \(reason)", errno: code)
    }

    var description: String { message }
}
