import Checksum
import Glibc

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
}

/// Writes files so that a reader, or a restart after a crash, sees either the old file or the complete new one.
///
/// Each write goes to a hidden temporary file in the same folder (`.<name>.<random>.tmp`, a name the spool
/// watcher never picks up), which is fsynced, renamed over `name`, and then the folder is fsynced so the
/// rename itself survives a power cut. On failure the temporary file is removed and `name` is untouched.
public enum AtomicFile {
    /// Replaces (or creates) `directory/name` with `bytes`, atomically and durably.
    /// - Throws: `ArchiveError`, with `isNoSpace` when the file system is full.
    public static func write(_ bytes: [UInt8], to directory: String, name: String) throws(ArchiveError) {
        _ = try replace(directory: directory, name: name) { file throws(ArchiveError) in
            try file.write(bytes)
            return FileDigest(size: bytes.count, sha256: SHA256.hex(of: bytes))
        }
    }

    /// Replaces (or creates) `directory/name` with a streamed copy of `source`, atomically and durably.
    /// - Returns: the size and SHA-256 of the bytes copied.
    /// - Throws: `ArchiveError`, with `isNoSpace` when the file system is full.
    @discardableResult
    public static func copy(
        from source: String, to directory: String, name: String
    ) throws(ArchiveError)
        -> FileDigest
    {
        let input = try OpenFile.openForReading(source)
        return try replace(directory: directory, name: name) { file throws(ArchiveError) in
            try StreamCopy.copy(from: input, to: file)
        }
    }

    /// Writes through a temporary file with `fill`, then fsyncs, renames over `directory/name` and fsyncs the folder.
    static func replace(
        directory: String,
        name: String,
        fill: (OpenFile) throws(ArchiveError) -> FileDigest
    ) throws(ArchiveError) -> FileDigest {
        try FileName.validate(name, what: "file name")
        let temporary = FileTree.join(directory, temporaryName(for: name))
        let destination = FileTree.join(directory, name)
        let file = try OpenFile.createNew(temporary)
        do {
            let digest = try fill(file)
            try file.sync()
            try file.close()
            try FileTree.rename(temporary, to: destination)
            try FileTree.syncDirectory(directory)
            return digest
        } catch {
            try? file.close()
            unlink(temporary)
            throw error
        }
    }

    /// `.<name>.<16 random hex digits>.tmp`, short enough for NAME_MAX whatever the length of `name`.
    static func temporaryName(for name: String) -> String {
        let shortName = String(decoding: name.utf8.prefix(160), as: UTF8.self)
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        return ".\(shortName).\(random).tmp"
    }
}

/// Streams one open file into another in large blocks, hashing as it goes.
enum StreamCopy {
    /// The block size for streamed reads: large enough for throughput, small enough to keep memory flat.
    static let blockSize = 1 << 20

    /// Copies the rest of `input` into `output`; returns the size and SHA-256 of the bytes copied.
    static func copy(from input: OpenFile, to output: OpenFile) throws(ArchiveError) -> FileDigest {
        let hasher = SHA256()
        var size = 0
        try forEachBlock(of: input) { block throws(ArchiveError) in
            hasher.update(block)
            try output.write(block)
            size += block.count
        }
        return FileDigest(size: size, sha256: hasher.finalizeHex())
    }

    /// The size and SHA-256 of the rest of `input`.
    static func digest(of input: OpenFile) throws(ArchiveError) -> FileDigest {
        let hasher = SHA256()
        var size = 0
        try forEachBlock(of: input) { block in
            hasher.update(block)
            size += block.count
        }
        return FileDigest(size: size, sha256: hasher.finalizeHex())
    }

    /// Calls `body` with each block of `input` until end of file; one block buffer is reused throughout.
    static func forEachBlock(
        of input: OpenFile,
        _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void
    ) throws(ArchiveError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try input.read(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}

/// Rules for the names of files and folders the archive creates.
enum FileName {
    /// Checks that `name` is one path component: not empty, no "/", no NUL, not "." or "..", not hidden.
    static func validate(_ name: String, what: String) throws(ArchiveError) {
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
        if name.utf8.count > 200 {
            throw .invalid(
                "\(what) \"\(name)\" is \(name.utf8.count) bytes long",
                hint: "use a name of at most 200 bytes"
            )
        }
    }
}
