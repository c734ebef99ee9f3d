public import Glibc
public import SystemPackage

/// Folder operations on real paths (mkdir -p, listing, renames, recursive removal, sizes), each
/// reporting the path on failure. Nothing here follows a symlink.
public enum FileTree {
    /// `directory/name`, without doubling a trailing slash.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The folder holding `path` ("." for a bare name, "/" for a top-level entry).
    public static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// The last component of `path` (`path` itself when it has no "/").
    public static func name(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// Whether `a` and `b` name the same file: the same device and inode when both exist (however
    /// spelled: `./x`, a symlink, a hard link), else the same name in the same folder (by the
    /// folder's device and inode). False when neither can be resolved.
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        func identity(_ path: String) -> (UInt64, UInt64, String)? {
            var info = stat()
            if stat(path, &info) == 0 { return (UInt64(info.st_dev), UInt64(info.st_ino), "") }
            guard stat(parent(of: path), &info) == 0 else { return nil }
            return (UInt64(info.st_dev), UInt64(info.st_ino), name(of: path))
        }
        guard let x = identity(a), let y = identity(b) else { return false }
        return x == y
    }

    /// The `lstat` of a path, or nil when nothing is there.
    public static func status(_ path: String) throws(FileError) -> stat? {
        var info = stat()
        if lstat(path, &info) == 0 { return info }
        if errno == ENOENT { return nil }
        throw .system("cannot stat", path: path, errno: errno)
    }

    /// The `lstat` of a path given as exact bytes, or nil when nothing is there.
    public static func status(_ path: FilePath) throws(FileError) -> stat? {
        var info = stat()
        if path.withPlatformString({ lstat($0, &info) }) == 0 { return info }
        if errno == ENOENT { return nil }
        throw .system("cannot stat", path: path.string, errno: errno)
    }

    /// True for a real folder (not a symlink to one).
    public static func isDirectory(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFDIR }

    /// True for a regular file (not a symlink, device or FIFO).
    public static func isRegularFile(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFREG }

    /// Flushes a folder's entries (creations, renames, removals) to stable storage.
    public static func syncDirectory(_ path: String) throws(FileError) {
        let folder = try OpenFile.openDirectory(path)
        try folder.sync()
        try folder.close()
    }

    /// Creates one folder; returns false when a folder is already there. The mode (0777) is narrowed by the umask.
    @discardableResult
    public static func makeDirectory(_ path: String) throws(FileError) -> Bool {
        if mkdir(path, 0o777) == 0 { return true }
        let code = errno
        if code == EEXIST, let info = try status(path), isDirectory(info) { return false }
        throw .system("cannot create folder", path: path, errno: code)
    }

    /// Creates a folder and any missing parents (mkdir -p), fsyncing each parent that gained an entry.
    public static func makeDirectories(_ path: String) throws(FileError) {
        if let info = try status(path) {
            guard isDirectory(info) else {
                throw FileError(code: .exists, message: "exists but is not a folder", path: path)
            }
            return
        }
        let parentPath = parent(of: path)
        if parentPath != path { try makeDirectories(parentPath) }
        if try makeDirectory(path) { try syncDirectory(parentPath) }
    }

    /// The names in a folder, without "." and "..", in no particular order.
    public static func list(_ path: String) throws(FileError) -> [String] {
        guard let stream = opendir(path) else { throw .system("cannot list folder", path: path, errno: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw .system("cannot list folder", path: path, errno: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// The names in a folder byte for byte (a `String` cannot hold a name that is not UTF-8), without
    /// "." and "..", in no particular order.
    public static func entries(_ path: String) throws(FileError) -> [FilePath.Component] {
        guard let stream = opendir(path) else { throw .system("cannot list folder", path: path, errno: errno) }
        defer { closedir(stream) }
        var names: [FilePath.Component] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw .system("cannot list folder", path: path, errno: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                FilePath.Component(platformString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if let name, name.kind == .regular { names.append(name) }
        }
    }

    /// Renames `source` to `destination` (same file system), both given as exact bytes.
    public static func rename(_ source: FilePath, to destination: FilePath) throws(FileError) {
        let result = source.withPlatformString { from in destination.withPlatformString { to in Glibc.rename(from, to) } }
        guard result == 0 else { throw .system("cannot rename to \(destination.string)", path: source.string, errno: errno) }
    }

    /// Renames `source` to `destination` (same file system).
    public static func rename(_ source: String, to destination: String) throws(FileError) {
        guard Glibc.rename(source, destination) == 0 else {
            throw .system("cannot rename to \(destination)", path: source, errno: errno)
        }
    }

    /// Removes a file, or a folder and everything under it; symlinks are removed, never followed.
    public static func removeTree(_ path: String) throws(FileError) {
        guard let info = try status(path) else { return }
        if isDirectory(info) {
            for name in try list(path) { try removeTree(join(path, name)) }
            guard rmdir(path) == 0 || errno == ENOENT else {
                throw .system("cannot remove folder", path: path, errno: errno)
            }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else {
                throw .system("cannot remove file", path: path, errno: errno)
            }
        }
    }

    /// The total apparent size (st_size) and count of the regular files under `path`; symlinks are not followed.
    public static func size(_ path: String) throws(FileError) -> (bytes: Int, files: Int) {
        guard let info = try status(path) else { return (0, 0) }
        if isRegularFile(info) { return (Int(info.st_size), 1) }
        guard isDirectory(info) else { return (0, 0) }
        var total = (bytes: 0, files: 0)
        for name in try list(path) {
            let child = try size(join(path, name))
            total.bytes += child.bytes
            total.files += child.files
        }
        return total
    }
}

/// What a path names, following symlinks (for commands that take a file or a folder).
public enum FileKind: Sendable {
    case missing, file, directory

    /// What `path` names now.
    public init(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            self = .missing
            return
        }
        self = (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }
}
