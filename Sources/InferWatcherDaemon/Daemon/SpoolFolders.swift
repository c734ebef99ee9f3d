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

/// Small file-system operations on spool folders (never following symlinks).
package enum SpoolFolders {
    /// Creates `path` and its parents (mode 0755).
    package static func makeFolder(_ path: String) throws(DaemonError) {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw DaemonError.system("mkdir", path: partial)
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw DaemonError("\(path) exists but is not a folder")
        }
    }

    /// The entry's type, size and mtime, without following symlinks; nil if it is gone.
    static func entry(folder: String, name: String) -> SpoolEntry? {
        var info = stat()
        guard lstat("\(folder)/\(name)", &info) == 0 else { return nil }
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
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Renames within one file system; refuses to replace an existing target (only the daemon
    /// writes the folders it moves into, so checking first is enough).
    static func move(_ from: String, to: String) throws(DaemonError) {
        guard !exists(to) else { throw DaemonError("\(from): cannot move to \(to): it already exists", errno: EEXIST) }
        if rename(from, to) != 0 {
            throw DaemonError.system("rename to \(to)", path: from)
        }
    }

    /// fsyncs a folder so renames into it survive a crash.
    static func sync(folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    static func remove(_ path: String) { unlink(path) }

    /// Removes `path` and everything below it (never following symlinks).
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in names(in: path) { removeTree("\(path)/\(name)") }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
