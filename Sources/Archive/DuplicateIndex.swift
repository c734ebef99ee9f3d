public import Files
import Glibc
import Synchronization

/// Remembers which input contents were archived, and where first, so the same content dropped again is noticed.
///
/// Kept in `<stateDirectory>/duplicates.log`, one line per content: `<sha256> <folder>\n`, appended and
/// fsynced on each `record`. Loading skips malformed lines, and a last line without its newline (what a crash
/// in the middle of an append leaves) is cut off so the next append starts on a line of its own.
/// Safe to share between tasks: all state is behind a mutex.
public final class DuplicateIndex: Sendable {
    /// The index file's name inside the state folder.
    public static let fileName = "duplicates.log"

    /// The index file's path.
    public let path: String
    /// How many lines were skipped when loading (malformed, or a torn last line that was cut off).
    public let skippedLines: Int

    private let entries: Mutex<[String: String]>

    /// Loads (or creates) the index in `stateDirectory`, creating the folder if needed.
    /// - Throws: `FileError` when the folder or file cannot be created or read.
    public init(stateDirectory: String) throws(FileError) {
        try FileTree.makeDirectories(stateDirectory)
        path = FileTree.join(stateDirectory, Self.fileName)
        let isNew = try FileTree.status(path) == nil
        let file = try OpenFile.openForAppending(path)
        if isNew {
            try file.sync()
            try FileTree.syncDirectory(stateDirectory)
        }
        try file.close()

        let reader = try OpenFile.openForReading(path)
        var contents: [UInt8] = []
        try StreamCopy.forEachBlock(of: reader) { contents.append(contentsOf: $0) }
        try reader.close()

        var loaded: [String: String] = [:]
        var skipped = 0
        var lineStart = 0
        for index in contents.indices where contents[index] == UInt8(ascii: "\n") {
            if let (sha256, folder) = Self.parse(contents[lineStart..<index]) {
                if loaded[sha256] == nil { loaded[sha256] = folder }
            } else {
                skipped += 1
            }
            lineStart = index + 1
        }
        if lineStart < contents.count {
            // A torn last line: the crash came before its newline (and fsync) did, so it was never recorded.
            skipped += 1
            let writer = try OpenFile.openForAppending(path)
            try writer.truncate(to: lineStart)
            try writer.sync()
            try writer.close()
        }
        entries = Mutex(loaded)
        skippedLines = skipped
    }

    /// The number of contents recorded.
    public var count: Int { entries.withLock { $0.count } }

    /// The folder where content with this SHA-256 was first archived, or nil if never.
    public func lookup(_ sha256: String) -> String? {
        let key = sha256.lowercased()
        return entries.withLock { $0[key] }
    }

    /// Records that content with this SHA-256 was archived in `folder`, unless it already was (first one wins).
    /// - Returns: true when the entry is new, false when the content was already recorded.
    /// - Throws: `FileError` (`isNoSpace` when the disk is full) if the line cannot be appended and fsynced;
    ///   the index is then unchanged, in memory and on disk.
    @discardableResult
    public func record(_ sha256: String, folder: String) throws(FileError) -> Bool {
        let key = sha256.lowercased()
        guard key.utf8.count == 64, key.utf8.allSatisfy(Self.isHexDigit) else {
            throw .invalid("\"\(sha256)\" is not a SHA-256 (64 hex digits)", path: path)
        }
        guard !folder.isEmpty, !folder.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else {
            throw .invalid(
                "folder \"\(folder)\" cannot be recorded: it is empty or holds a line break or NUL", path: path)
        }
        return try entries.withLock { (entries) throws(FileError) -> Bool in
            if entries[key] != nil { return false }
            let file = try OpenFile.openForAppending(path)
            let sizeBefore = try Int(file.status().st_size)
            do throws(FileError) {
                try file.write(Array("\(key) \(folder)\n".utf8))
                try file.sync()
                try file.close()
            } catch {
                // Cut off a partial line (a short write on a full disk) so it cannot merge with the next one.
                try? file.truncate(to: sizeBefore)
                try? file.close()
                throw error
            }
            entries[key] = folder
            return true
        }
    }

    private static func parse(_ line: ArraySlice<UInt8>) -> (String, String)? {
        guard line.count > 65 else { return nil }
        let hash = line.prefix(64)
        guard hash.allSatisfy(isHexDigit), line[line.startIndex + 64] == UInt8(ascii: " ") else { return nil }
        let folder = line.dropFirst(65)
        return (String(decoding: hash, as: UTF8.self).lowercased(), String(decoding: folder, as: UTF8.self))
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default:
            false
        }
    }
}
