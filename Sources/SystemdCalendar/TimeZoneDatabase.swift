import Glibc
import Synchronization

/// Finds zone rules the way glibc's `tzset` does (the `TZ` variable, `/etc/localtime`, the tz
/// database under `/usr/share/zoneinfo` or `$TZDIR`), without touching glibc's process-wide state.
///
/// Files are cached and re-read when they change, so `timedatectl set-timezone` takes effect at
/// the next computation, as it does for glibc's `mktime`.
enum TimeZoneDatabase {
    static let defaultZoneFile = "/etc/localtime"
    static let zoneDirectory = "/usr/share/zoneinfo"

    /// The rules of the local time zone: from `TZ`, else `/etc/localtime`.
    static func localRules() -> ZoneRules {
        rules(forTZ: getenv("TZ").map { String(cString: $0) })
    }

    /// The rules glibc uses for `value` as the `TZ` variable (nil: unset).
    ///
    /// An empty value is UTC; a leading `:` is dropped; a name is a file under the tz database
    /// directory, a path a file, and if neither can be read the value is a POSIX TZ rule
    /// (`CET-1CEST,M3.5.0,M10.5.0/3`). Anything else is UTC.
    static func rules(forTZ value: String?) -> ZoneRules {
        var name = value.map { $0.isEmpty ? "Universal" : $0 }
        if name?.first == ":" { name?.removeFirst() }
        guard let name else { return ZoneFileCache.shared.rules(atPath: defaultZoneFile) ?? .utc }
        guard !name.isEmpty else { return .utc }
        if let rules = ZoneFileCache.shared.rules(atPath: path(ofZone: name)) { return rules }
        if name == defaultZoneFile { return .utc }
        return POSIXTimeZoneRule(parsing: name).map(ZoneRules.init(rule:)) ?? .utc
    }

    /// The rules for a zone named in a calendar expression, read as systemd does: with `TZ=:name`.
    static func rules(ofZoneNamed name: String) -> ZoneRules {
        rules(forTZ: ":" + name)
    }

    /// Whether systemd accepts `name` as the time zone of a calendar expression (its verify_timezone()):
    /// letters, digits, `-`, `_`, `+` and single inner slashes, naming a TZif file in `/usr/share/zoneinfo`.
    static func isValidZoneName(_ name: String) -> Bool {
        if name == "UTC" { return true }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last, first != UInt8(ascii: "/"), last != UInt8(ascii: "/"),
            bytes.count < Int(PATH_MAX)
        else { return false }
        var previousWasSlash = false
        for byte in bytes {
            let isSlash = byte == UInt8(ascii: "/")
            let allowed =
                isSlash || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || ((byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+")
            guard allowed, !(isSlash && previousWasSlash) else { return false }
            previousWasSlash = isSlash
        }
        guard let head = ZoneFile.read(zoneDirectory + "/" + name, maximumSize: 4) else { return false }
        return head.bytes == Array("TZif".utf8)
    }

    private static func path(ofZone name: String) -> String {
        if name.hasPrefix("/") { return name }
        var directory = zoneDirectory
        if let value = getenv("TZDIR"), value.pointee != 0 { directory = String(cString: value) }
        return directory + "/" + name
    }
}

/// Parsed zone files by path, re-read when the file's identity or modification time changes.
private final class ZoneFileCache: Sendable {
    static let shared = ZoneFileCache()

    private struct Entry {
        var identity: ZoneFile.Identity
        var rules: ZoneRules
    }

    private let entries = Mutex<[String: Entry]>([:])

    func rules(atPath path: String) -> ZoneRules? {
        guard let identity = ZoneFile.identity(of: path) else { return nil }
        if let entry = entries.withLock({ $0[path] }), entry.identity == identity { return entry.rules }
        guard let file = ZoneFile.read(path, maximumSize: 1 << 20), let rules = ZoneRules(tzif: file.bytes) else {
            return nil
        }
        entries.withLock { $0[path] = Entry(identity: file.identity, rules: rules) }
        return rules
    }
}

/// Whole-file reads of regular files, without Foundation.
private enum ZoneFile {
    struct Identity: Equatable {
        var device: UInt64, inode: UInt64, size: Int64, modified: Int, modifiedNanoseconds: Int
    }

    static func identity(of path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return identity(info)
    }

    /// Up to `maximumSize` bytes of the regular file at `path`.
    static func read(_ path: String, maximumSize: Int) -> (bytes: [UInt8], identity: Identity)? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes = [UInt8](repeating: 0, count: min(Int(info.st_size), maximumSize))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return (Array(bytes[..<filled]), identity(info))
    }

    private static func identity(_ info: stat) -> Identity {
        Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec)
    }
}
