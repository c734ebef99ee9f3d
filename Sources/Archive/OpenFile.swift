import Glibc

/// A file descriptor owned by the archive: every call retries EINTR and reports failures with the path.
///
/// Closed by `close()` (which reports errors, as NFS may only report a failed write there) or, failing that,
/// by `deinit` (which cannot).
final class OpenFile {
    let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Opens an existing file read-only, for sequential reading.
    static func openForReading(_ path: String) throws(ArchiveError) -> OpenFile {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system("cannot open for reading", path: path, errno: errno) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        return OpenFile(path: path, fd: fd)
    }

    /// Creates a file that must not exist yet, for writing. The mode (0666) is narrowed by the process umask.
    static func createNew(_ path: String) throws(ArchiveError) -> OpenFile {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666) }
        guard fd >= 0 else { throw .system("cannot create", path: path, errno: errno) }
        return OpenFile(path: path, fd: fd)
    }

    /// Opens a file for appending, creating it when missing. The mode (0666) is narrowed by the process umask.
    static func openForAppending(_ path: String) throws(ArchiveError) -> OpenFile {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666) }
        guard fd >= 0 else { throw .system("cannot open for appending", path: path, errno: errno) }
        return OpenFile(path: path, fd: fd)
    }

    /// Opens a folder so that it can be fsynced.
    static func openDirectory(_ path: String) throws(ArchiveError) -> OpenFile {
        let fd = retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system("cannot open folder", path: path, errno: errno) }
        return OpenFile(path: path, fd: fd)
    }

    /// The file's status (type, size).
    func status() throws(ArchiveError) -> stat {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system("cannot stat", path: path, errno: errno) }
        return info
    }

    /// Reads up to `buffer.count` bytes, fewer only at end of file; returns how many (0 at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let n = Glibc.read(fd, base + filled, buffer.count - filled)
            if n > 0 {
                filled += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw .system("cannot read", path: path, errno: errno)
            }
        }
        return filled
    }

    /// Writes all of `bytes`, retrying short writes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n >= 0 {
                done += n
            } else if errno != EINTR {
                throw .system("cannot write", path: path, errno: errno)
            }
        }
    }

    /// Writes all of `bytes`, retrying short writes.
    func write(_ bytes: [UInt8]) throws(ArchiveError) {
        var failure: ArchiveError?
        bytes.withUnsafeBytes { raw in
            do throws(ArchiveError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Cuts the file to `size` bytes.
    func truncate(to size: Int) throws(ArchiveError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw .system("cannot truncate", path: path, errno: errno) }
    }

    /// Flushes the file's data and metadata to stable storage (fsync).
    func sync() throws(ArchiveError) {
        guard retryingEINTR({ fsync(fd) }) == 0 else {
            throw .system("cannot flush to disk (fsync)", path: path, errno: errno)
        }
    }

    /// Closes the descriptor, reporting a failure the kernel only reports at close.
    func close() throws(ArchiveError) {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        let code = errno
        fd = -1
        // Linux always releases the descriptor, even on EINTR, so it is never closed twice.
        if result != 0 && code != EINTR { throw .system("cannot close", path: path, errno: code) }
    }
}

/// Runs a system call again while it fails with EINTR.
func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}
