import CKernels
import Glibc

/// An I/O failure on a named file, with the errno text and what was being attempted.
public struct FileIOError: Error, CustomStringConvertible, Sendable {
    /// The file involved.
    public let path: String
    /// What the engine was doing ("open", "read", "write", "rename", ...).
    public let operation: String
    /// The errno value (0 when not from a system call).
    public let errno: Int32

    /// Creates an error from the current `errno`.
    init(path: String, operation: String, errno code: Int32) {
        self.path = path
        self.operation = operation
        self.errno = code
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return "\(path): cannot \(operation): \(reason) (errno \(errno))"
    }
}

/// A file opened for reading with large `read(2)` calls.
final class InputFile {
    let path: String
    private let fd: Int32
    /// The file's size when it was opened (for progress), or nil for pipes.
    let size: Int?

    init(path: String) throws(FileIOError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "open for reading", errno: errno) }
        self.fd = fd
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            size = Int(info.st_size)
        } else {
            size = nil
        }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { close(fd) }

    /// Appends up to `count` bytes to `buffer`; returns how many were read (0 at end of file).
    func read(into buffer: inout [UInt8], count: Int) throws(FileIOError) -> Int {
        let start = buffer.count
        var got = 0
        var failure: Int32 = 0
        // Read straight into a new array's storage (one memcpy of what `buffer` held, no zero fill).
        let grown = [UInt8](unsafeUninitializedCapacity: start + count) { storage, initialized in
            buffer.withUnsafeBufferPointer { old in
                if start > 0 { storage.baseAddress!.initialize(from: old.baseAddress!, count: start) }
            }
            let base = storage.baseAddress! + start
            while got < count {
                let n = Glibc.read(fd, base + got, count - got)
                if n > 0 {
                    got += n
                } else if n == 0 {
                    break
                } else if errno != EINTR {
                    failure = errno
                    break
                }
            }
            initialized = start + got
        }
        buffer = grown
        if failure != 0 { throw FileIOError(path: path, operation: "read", errno: failure) }
        return got
    }
}

/// A file written through a temporary name in the same folder and renamed into place on `commit()`,
/// so readers never see a half-written file. Abandoned (deleted) if never committed.
///
/// `commit()` fsyncs before the rename. So that the fsync of a large output does not wait for
/// all of it to reach the disk at the end (0.45 s for 932 MB here), the file starts the
/// kernel's writeback of each `writebackStride` bytes as soon as they are written: the disk
/// then works while the engine goes on, and the final fsync waits only for the tail.
final class AtomicOutputFile {
    let path: String
    let temporaryPath: String
    private var fd: Int32
    private var committed = false
    /// Bytes written so far, and where the range not yet handed to writeback begins.
    private var written = 0
    private var writebackStart = 0
    /// How many written bytes are handed to writeback at a time.
    static let writebackStride = 8 << 20

    init(path: String) throws(FileIOError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(folder)/.\(name).tmp.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileIOError(path: path, operation: "create a temporary file beside", errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fchmod(fd, 0o644)
        self.fd = fd
        self.temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(FileIOError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n >= 0 {
                done += n
            } else if errno != EINTR {
                throw FileIOError(path: path, operation: "write", errno: errno)
            }
        }
        written += bytes.count
        if written - writebackStart >= Self.writebackStride {
            // Best effort: where it fails (say, on a pipe) the fsync in commit() does it all.
            _ = iw_start_writeback(fd, Int64(writebackStart), Int64(written - writebackStart))
            writebackStart = written
        }
    }

    /// Writes all of a worker's formatted bytes.
    func write(_ block: ByteBlock) throws(FileIOError) {
        try block.withBytes { bytes throws(FileIOError) in try write(bytes) }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws(FileIOError) {
        let outcome = bytes.withUnsafeBytes { raw in Result { () throws(FileIOError) in try write(raw) } }
        try outcome.get()
    }

    /// Flushes to disk, renames into place and syncs the folder.
    func commit() throws(FileIOError) {
        guard fsync(fd) == 0 else { throw FileIOError(path: path, operation: "fsync", errno: errno) }
        guard close(fd) == 0 else {
            fd = -1
            throw FileIOError(path: path, operation: "close", errno: errno)
        }
        fd = -1
        guard rename(temporaryPath, path) == 0 else { throw FileIOError(path: path, operation: "rename into place", errno: errno) }
        committed = true
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let dirfd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }
}

/// Reads a whole (small) file; for models, reports and tests, never for CSV input.
func readWholeFile(_ path: String) throws(FileIOError) -> [UInt8] {
    let file = try InputFile(path: path)
    var bytes: [UInt8] = []
    while try file.read(into: &bytes, count: max(file.size ?? 0, 1 << 16)) > 0 {}
    return bytes
}

/// Writes a small file atomically.
func writeWholeFile(_ path: String, _ bytes: [UInt8]) throws(FileIOError) {
    let file = try AtomicOutputFile(path: path)
    try file.write(bytes)
    try file.commit()
}
