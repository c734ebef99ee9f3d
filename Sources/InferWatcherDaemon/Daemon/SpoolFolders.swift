package import Files
import Glibc

/// What `lstat` says about an entry of `incoming/`.
package struct SpoolEntry: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case regular, symlink, fifo, directory, other
    }

    let name: String
    let kind: Kind
    let size: Int
    /// Modification time in nanoseconds.
    let modified: Int64
}

/// The spool's file-system operations, on the ``Files`` layer (never following symlinks). The
/// quiet ones (`names`, `remove`, `removeTree`, `sync`) are for clean-ups whose failure changes
/// nothing: the next start or rescan does them again.
package enum SpoolFolders {
    /// Creates `path` and its missing parents, fsyncing each parent that gained an entry.
    package static func makeFolder(_ path: String) throws(FileError) {
        try FileTree.makeDirectories(path)
    }

    /// The entry's type, size and mtime, without following symlinks; nil if it is gone.
    static func entry(folder: String, name: String) -> SpoolEntry? {
        guard let info = try? FileTree.status(FileTree.join(folder, name)) else { return nil }
        let kind: SpoolEntry.Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFLNK: kind = .symlink
        case S_IFIFO: kind = .fifo
        case S_IFDIR: kind = .directory
        default: kind = .other
        }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return SpoolEntry(name: name, kind: kind, size: Int(info.st_size), modified: modified)
    }

    /// Names in `folder` (without . and ..); empty if it can't be read.
    static func names(in folder: String) -> [String] {
        (try? FileTree.list(folder)) ?? []
    }

    /// Claims by rename within one file system; refuses to replace an existing target (only the
    /// daemon writes the folders it moves into, so checking first is enough).
    static func move(_ from: String, to: String) throws(FileError) {
        guard !exists(to) else {
            throw FileError(code: .exists, message: "cannot move to \(to): it already exists", path: from, errno: EEXIST)
        }
        try FileTree.rename(from, to: to)
    }

    /// fsyncs a folder so renames into it survive a crash.
    static func sync(folder: String) {
        try? FileTree.syncDirectory(folder)
    }

    static func remove(_ path: String) { unlink(path) }

    /// Removes `path` and everything below it (never following symlinks).
    static func removeTree(_ path: String) {
        try? FileTree.removeTree(path)
    }

    package static func exists(_ path: String) -> Bool {
        (try? FileTree.status(path)) != nil
    }
}
