package import Files
import Glibc
package import SystemPackage

/// What `lstat` says about an entry of `incoming/`.
package struct SpoolEntry: Equatable, Sendable {
    package enum Kind: Equatable, Sendable {
        case regular, symlink, fifo, directory, socket, device
    }

    /// Its name, byte for byte.
    let name: FilePath.Component
    let kind: Kind
    /// Its inode: a name that comes back as another file is another file.
    let inode: UInt64
    let size: Int
    /// Modification time in nanoseconds.
    let modified: Int64
}

/// The file operations of the daemon's own logic: spool folders, claims, quarantines, the work
/// folder and its small state files (attempts, run-now requests, the pid). A protocol so tests
/// can put faults in the daemon's way; ``LocalFileSystem`` is the real one, on the ``Files``
/// layer. (The engine and the archive use `Files` directly: their failures are tested there.)
///
/// The quiet operations (`names`, `remove`, `removeTree`, `sync`) are for clean-ups whose
/// failure changes nothing: the next start or rescan does them again.
package protocol SpoolFileSystem: Sendable {
    /// Creates `path` and its missing parents, fsyncing each parent that gained an entry.
    func makeFolder(_ path: String) throws(FileError)
    /// The entry's type, size and mtime, without following symlinks; nil if it is gone.
    func entry(folder: String, name: FilePath.Component) -> SpoolEntry?
    /// The exact names in `folder` (without . and ..), which others write into; empty if it can't be read.
    func entries(in folder: String) -> [FilePath.Component]
    /// Names in one of the daemon's own folders (without . and ..); empty if it can't be read.
    func names(in folder: String) -> [String]
    /// Renames within one file system, refusing to replace an existing target.
    func move(_ from: FilePath, to: FilePath) throws(FileError)
    /// fsyncs a folder so renames into it survive a crash.
    func sync(folder: String)
    /// Removes a file if it is there.
    func remove(_ path: String)
    /// Removes `path` and everything below it (never following symlinks).
    func removeTree(_ path: String)
    /// Whether anything is at `path` (a dangling symlink counts).
    func exists(_ path: String) -> Bool
    /// Replaces `path` with `text` atomically; `durable` fsyncs the file and its folder.
    func write(_ text: String, to path: String, durable: Bool) throws(FileError)
    /// The text of a small file.
    func readText(_ path: String) throws(FileError) -> String
}

extension SpoolFileSystem {
    /// Replaces `path` with `text` atomically and durably.
    func write(_ text: String, to path: String) throws(FileError) { try write(text, to: path, durable: true) }
}

/// The real file system, through the ``Files`` layer (never following symlinks).
package struct LocalFileSystem: SpoolFileSystem {
    package init() {}

    package func makeFolder(_ path: String) throws(FileError) {
        try FileTree.makeDirectories(path)
    }

    package func entry(folder: String, name: FilePath.Component) -> SpoolEntry? {
        guard let info = try? FileTree.status(FilePath(folder).appending(name)) else { return nil }
        let kind: SpoolEntry.Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFLNK: kind = .symlink
        case S_IFIFO: kind = .fifo
        case S_IFDIR: kind = .directory
        case S_IFSOCK: kind = .socket
        default: kind = .device
        }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return SpoolEntry(name: name, kind: kind, inode: UInt64(info.st_ino), size: Int(info.st_size), modified: modified)
    }

    package func entries(in folder: String) -> [FilePath.Component] {
        (try? FileTree.entries(folder)) ?? []
    }

    package func names(in folder: String) -> [String] {
        (try? FileTree.list(folder)) ?? []
    }

    package func move(_ from: FilePath, to: FilePath) throws(FileError) {
        // Only the daemon writes the folders it moves into, so checking first is enough.
        guard (try? FileTree.status(to)) == nil else {
            throw FileError(code: .exists, message: "cannot move to \(to.string): it already exists", path: from.string, errno: EEXIST)
        }
        try FileTree.rename(from, to: to)
    }

    package func sync(folder: String) {
        try? FileTree.syncDirectory(folder)
    }

    package func remove(_ path: String) { unlink(path) }

    package func removeTree(_ path: String) {
        try? FileTree.removeTree(path)
    }

    package func exists(_ path: String) -> Bool {
        (try? FileTree.status(path)) != nil
    }

    package func write(_ text: String, to path: String, durable: Bool) throws(FileError) {
        try AtomicFile.write(text, to: path, durable: durable)
    }

    package func readText(_ path: String) throws(FileError) -> String {
        try FileContents.text(path)
    }
}
