import CFiles
import Checksum
public import Glibc

/// The size and SHA-256 of a file's bytes.
public struct FileDigest: Sendable, Hashable {
    /// The number of bytes.
    public let size: Int
    /// The SHA-256 of the bytes, as 64 lowercase hex digits.
    public let sha256: String

    /// Creates a digest from known values.
    public init(size: Int, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// Reads the file at `path` once and returns its size and SHA-256: the one file hash of the
    /// engine, the archive and the daemon.
    public init(of path: String) throws(FileError) {
        let file = try OpenFile.openForReading(path)
        self = try StreamCopy.digest(of: file)
        try file.close()
    }
}

/// Writes files so that a reader, or a restart after a crash, sees either the old file or the complete new one.
///
/// Each write goes to a hidden temporary file in the same folder (`.<name>.<random>.tmp`, a name the spool
/// watcher never picks up), which is fsynced, renamed over `name`, and then the folder is fsynced so the
/// rename itself survives a power cut. On failure the temporary file is removed and `name` is untouched.
/// ``AtomicFileWriter`` does the same for a file written piece by piece.
public enum AtomicFile {
    /// Replaces (or creates) `directory/name` with `bytes`, atomically and durably.
    /// - Throws: `FileError`, with `isNoSpace` when the file system is full.
    public static func write(_ bytes: [UInt8], to directory: String, name: String) throws(FileError) {
        let writer = try AtomicFileWriter(directory: directory, name: name)
        try writer.write(bytes)
        try writer.commit()
    }

    /// Replaces (or creates) the file at `path` with `text`, atomically; durably unless `durable`
    /// is false (live state rewritten every second, such as status.json, skips the fsyncs).
    public static func write(_ text: String, to path: String, durable: Bool = true) throws(FileError) {
        try write(Array(text.utf8), to: path, durable: durable)
    }

    /// Replaces (or creates) the file at `path` with `bytes`, atomically; durably unless `durable`
    /// is false. With `permissions`, the file gets exactly that mode whatever the umask (a file that
    /// another user's service reads, such as a node_exporter textfile under the unit's `UMask=0027`);
    /// the mode is set before the rename, so the file never appears with another.
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true, permissions: mode_t? = nil) throws(FileError) {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(bytes)
        if let permissions { try writer.setPermissions(permissions) }
        try writer.commit(durable: durable)
    }

    /// Replaces (or creates) `directory/name` with a streamed copy of `source`, atomically and durably.
    /// - Returns: the size and SHA-256 of the bytes copied.
    /// - Throws: `FileError`, with `isNoSpace` when the file system is full.
    @discardableResult
    public static func copy(from source: String, to directory: String, name: String) throws(FileError) -> FileDigest {
        let input = try OpenFile.openForReading(source)
        let writer = try AtomicFileWriter(directory: directory, name: name)
        let digest = try StreamCopy.copy(from: input) { block throws(FileError) in try writer.write(block) }
        try writer.commit()
        return digest
    }

    /// `.<name>.<16 random hex digits>.tmp`, short enough for NAME_MAX whatever the length of `name`.
    static func temporaryName(for name: String) -> String {
        let shortName = String(decoding: name.utf8.prefix(160), as: UTF8.self)
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        return ".\(shortName).\(random).tmp"
    }
}

/// A file written piece by piece through a hidden temporary name in its folder and renamed into
/// place by ``commit()``, so readers never see a half-written file; removed if never committed.
///
/// `commit()` fsyncs before the rename. So that the fsync of a large output does not wait for all
/// of it to reach the disk at the end (0.45 s for 932 MB here), the writer starts the kernel's
/// writeback of each ``writebackStride`` bytes as soon as they are written: the disk then works
/// while the engine goes on, and the final fsync waits only for the tail.
public final class AtomicFileWriter {
    /// Where the file appears on commit.
    public let path: String
    /// The hidden temporary file being written.
    public let temporaryPath: String
    private let folder: String
    private let file: OpenFile
    private var committed = false
    /// Bytes written so far, and where the range not yet handed to writeback begins.
    private var written = 0
    private var writebackStart = 0
    /// How many written bytes are handed to writeback at a time.
    public static let writebackStride = 8 << 20

    /// Starts writing `directory/name`.
    /// - Throws: `FileError` for a name that is not one plain component, or when the temporary
    ///   file cannot be created.
    public init(directory: String, name: String) throws(FileError) {
        try FileName.validate(name, what: "file name")
        folder = directory
        path = FileTree.join(directory, name)
        temporaryPath = FileTree.join(directory, AtomicFile.temporaryName(for: name))
        do { file = try OpenFile.createNew(temporaryPath) } catch {
            throw FileError(
                code: error.code, message: "cannot create a temporary file to write \(name) atomically",
                path: temporaryPath, errno: error.errno, hint: error.hint)
        }
    }

    /// Starts writing the file at `path`.
    public convenience init(path: String) throws(FileError) {
        try self.init(directory: FileTree.parent(of: path), name: FileTree.name(of: path))
    }

    deinit {
        if !committed {
            try? file.close()
            unlink(temporaryPath)
        }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        try file.write(bytes)
        written += bytes.count
        if written - writebackStart >= Self.writebackStride {
            // Best effort: where it fails (say, on a pipe) the fsync in commit() does it all.
            _ = iw_start_writeback(file.fd, Int64(writebackStart), Int64(written - writebackStart))
            writebackStart = written
        }
    }

    /// Sets the mode of the file to be published, whatever the umask narrowed it to.
    public func setPermissions(_ mode: mode_t) throws(FileError) { try file.setPermissions(mode) }

    /// Flushes to disk, renames into place and syncs the folder; without `durable`, only renames.
    public func commit(durable: Bool = true) throws(FileError) {
        if durable { try file.sync() }
        try file.close()
        try FileTree.rename(temporaryPath, to: path)
        committed = true
        if durable { try FileTree.syncDirectory(folder) }
    }
}

/// Where a stream of bytes goes: a file published on commit (``AtomicFileWriter``) or a
/// stream written as it comes (``StreamWriter``).
public protocol ByteSink: AnyObject {
    /// The path in messages (`-` for standard output).
    var path: String { get }
    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(FileError)
    /// Finishes: publishes the file, or closes the stream.
    func finish() throws(FileError)
}

extension ByteSink {
    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(FileError) {
        let outcome = bytes.withUnsafeBytes { raw in Result { () throws(FileError) in try write(raw) } }
        try outcome.get()
    }
}

extension AtomicFileWriter: ByteSink {
    /// Commits durably.
    public func finish() throws(FileError) { try commit() }
}

/// Bytes written straight to a stream (standard output): nothing to publish atomically, so a
/// reader sees them as they are made.
public final class StreamWriter: ByteSink {
    private let file: OpenFile
    public var path: String { file.path }

    /// Writes to standard output.
    public init() throws(FileError) {
        file = try OpenFile.standardOutput()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) { try file.write(bytes) }

    public func finish() throws(FileError) { try file.close() }
}

/// Reads whole small files (configurations, models, reports), never CSV data.
public enum FileContents {
    /// Every byte of the file at `path`.
    public static func read(_ path: String) throws(FileError) -> [UInt8] {
        let file = try InputFile(path: path)
        var bytes: [UInt8] = []
        while try file.read(into: &bytes, count: max(file.size ?? 0, 1 << 16)) > 0 {}
        return bytes
    }

    /// The file at `path` as UTF-8 text (invalid bytes replaced).
    public static func text(_ path: String) throws(FileError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }
}

/// Streams one open file into a sink in large blocks, hashing as it goes.
public enum StreamCopy {
    /// The block size for streamed reads: large enough for throughput, small enough to keep memory flat.
    static let blockSize = 1 << 20

    /// Copies the rest of `input` into `output`; returns the size and SHA-256 of the bytes copied.
    public static func copy(from input: OpenFile, to output: OpenFile) throws(FileError) -> FileDigest {
        try copy(from: input) { block throws(FileError) in try output.write(block) }
    }

    /// Hands the rest of `input` to `sink` block by block; returns the size and SHA-256 of the bytes.
    public static func copy(
        from input: OpenFile, to sink: (UnsafeRawBufferPointer) throws(FileError) -> Void
    ) throws(FileError) -> FileDigest {
        let hasher = SHA256()
        var size = 0
        try forEachBlock(of: input) { block throws(FileError) in
            hasher.update(block)
            try sink(block)
            size += block.count
        }
        return FileDigest(size: size, sha256: hasher.finalizeHex())
    }

    /// The size and SHA-256 of the rest of `input`.
    public static func digest(of input: OpenFile) throws(FileError) -> FileDigest {
        try copy(from: input) { _ in }
    }

    /// Calls `body` with each block of `input` until end of file; one block buffer is reused throughout.
    public static func forEachBlock(
        of input: OpenFile,
        _ body: (UnsafeRawBufferPointer) throws(FileError) -> Void
    ) throws(FileError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try input.read(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}

/// Rules for the names of files and folders we create.
public enum FileName {
    /// Checks that `name` is one path component: not empty, no "/", no NUL, not "." or "..", not hidden.
    public static func validate(_ name: String, what: String) throws(FileError) {
        if name.isEmpty || name == "." || name == ".." || name.utf8.contains(UInt8(ascii: "/"))
            || name.utf8.contains(0)
        {
            throw .invalid(
                "\(what) \"\(name)\" is not a plain file name",
                hint: "use a single name without \"/\", NUL, \".\" or \"..\""
            )
        }
        if name.hasPrefix(".") {
            throw .invalid(
                "\(what) \"\(name)\" starts with \".\", which marks hidden and temporary files",
                hint: "use a name that does not start with \".\""
            )
        }
        if name.utf8.count > Int(NAME_MAX) {
            throw .invalid(
                "\(what) \"\(name)\" is \(name.utf8.count) bytes long",
                hint: "use a name of at most \(NAME_MAX) bytes"
            )
        }
    }
}
