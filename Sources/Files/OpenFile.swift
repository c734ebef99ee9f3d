public import Glibc
import SystemPackage

/// An open file (swift-system's `FileDescriptor`): every call retries EINTR and reports failures
/// with the path.
///
/// Closed by `close()` (which reports errors, as NFS may only report a failed write there) or, failing that,
/// by `deinit` (which cannot).
public final class OpenFile {
    /// The path it was opened by.
    public let path: String
    private var descriptor: FileDescriptor?

    private init(path: String, descriptor: FileDescriptor) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        try? descriptor?.close()
    }

    private static func open(
        _ path: String, _ mode: FileDescriptor.AccessMode, _ options: FileDescriptor.OpenOptions, _ what: String
    ) throws(FileError) -> OpenFile {
        do {
            let descriptor = try FileDescriptor.open(
                FilePath(path), mode, options: options.union(.closeOnExec), permissions: FilePermissions(rawValue: 0o666))
            return OpenFile(path: path, descriptor: descriptor)
        } catch let error as Errno {
            throw .system(what, path: path, error)
        } catch {
            throw .system(what, path: path, errno: EIO)
        }
    }

    /// Opens an existing file read-only, for sequential reading.
    public static func openForReading(_ path: String) throws(FileError) -> OpenFile {
        let file = try open(path, .readOnly, [], "cannot open for reading")
        _ = posix_fadvise(file.fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        return file
    }

    /// Creates a file that must not exist yet, for writing. The mode (0666) is narrowed by the process umask.
    public static func createNew(_ path: String) throws(FileError) -> OpenFile {
        try open(path, .writeOnly, [.create, .exclusiveCreate], "cannot create")
    }

    /// Opens a file for appending, creating it when missing. The mode (0666) is narrowed by the process umask.
    public static func openForAppending(_ path: String) throws(FileError) -> OpenFile {
        try open(path, .writeOnly, [.create, .append], "cannot open for appending")
    }

    /// The process's standard input, as a file of its own (a duplicate of descriptor 0); `path`
    /// is `-` in messages.
    public static func standardInput() throws(FileError) -> OpenFile {
        do { return OpenFile(path: "-", descriptor: try FileDescriptor.standardInput.duplicate()) } catch let error as Errno {
            throw .system("cannot read standard input", path: "-", error)
        } catch {
            throw .system("cannot read standard input", path: "-", errno: EBADF)
        }
    }

    /// The process's standard output, as a file of its own (a duplicate of descriptor 1, so
    /// closing it leaves the process's alone); `path` is `-` in messages.
    public static func standardOutput() throws(FileError) -> OpenFile {
        do { return OpenFile(path: "-", descriptor: try FileDescriptor.standardOutput.duplicate()) } catch let error as Errno {
            throw .system("cannot write to standard output", path: "-", error)
        } catch {
            throw .system("cannot write to standard output", path: "-", errno: EBADF)
        }
    }

    /// Opens a folder so that it can be fsynced.
    public static func openDirectory(_ path: String) throws(FileError) -> OpenFile {
        try open(path, .readOnly, [.directory], "cannot open folder")
    }

    /// The raw descriptor, for calls swift-system does not wrap (fstat, fsync, sync_file_range).
    var fd: Int32 { descriptor?.rawValue ?? -1 }

    /// The file's status (type, size).
    public func status() throws(FileError) -> stat {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system("cannot stat", path: path, errno: errno) }
        return info
    }

    /// Reads up to `buffer.count` bytes, fewer only at end of file; returns how many (0 at end of file).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        guard let descriptor else { throw .system("cannot read", path: path, errno: EBADF) }
        var filled = 0
        while filled < buffer.count {
            let n: Int
            do { n = try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) } catch let error as Errno {
                throw .system("cannot read", path: path, error)
            } catch {
                throw .system("cannot read", path: path, errno: EIO)
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Writes all of `bytes`, retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        guard let descriptor else { throw .system("cannot write", path: path, errno: EBADF) }
        do { _ = try descriptor.writeAll(bytes) } catch let error as Errno {
            throw .system("cannot write", path: path, error)
        } catch {
            throw .system("cannot write", path: path, errno: EIO)
        }
    }

    /// Writes all of `bytes`, retrying short writes.
    public func write(_ bytes: [UInt8]) throws(FileError) {
        let outcome = bytes.withUnsafeBytes { raw in Result { () throws(FileError) in try write(raw) } }
        try outcome.get()
    }

    /// Sets the file's mode bits (fchmod), whatever the process umask narrowed them to at creation.
    public func setPermissions(_ mode: mode_t) throws(FileError) {
        guard fchmod(fd, mode) == 0 else { throw .system("cannot change the mode of", path: path, errno: errno) }
    }

    /// Cuts the file to `size` bytes.
    public func truncate(to size: Int) throws(FileError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw .system("cannot truncate", path: path, errno: errno) }
    }

    /// Flushes the file's data and metadata to stable storage (fsync).
    public func sync() throws(FileError) {
        guard retryingEINTR({ fsync(fd) }) == 0 else {
            throw .system("cannot flush to disk (fsync)", path: path, errno: errno)
        }
    }

    /// Closes the descriptor, reporting a failure the kernel only reports at close.
    public func close() throws(FileError) {
        guard let descriptor else { return }
        self.descriptor = nil
        // Linux always releases the descriptor, even on EINTR, so it is never closed twice.
        do { try descriptor.close() } catch let error as Errno where error != .interrupted {
            throw .system("cannot close", path: path, error)
        } catch {}
    }
}

/// Runs a system call again while it fails with EINTR.
func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}
