import Glibc

/// What the kernel told us about a spool's `incoming/` folder.
enum SpoolEvent: Equatable, Sendable {
    /// A file was closed after writing or moved in.
    case fileChanged(String)
    /// An entry was created (only used to warn promptly about symlinks and FIFOs: a regular file
    /// counts once it is closed after writing).
    case created(String)
    /// The kernel's event queue overflowed: events were lost, rescan.
    case overflow
    /// `incoming/` itself was deleted, moved or unmounted: recreate and re-watch.
    case folderGone
}

/// inotify on one folder (no polling): IN_CLOSE_WRITE and IN_MOVED_TO for files, IN_CREATE to spot
/// symlinks and FIFOs early, plus the folder's
/// own deletion or move. Not thread-safe: owned by one pipeline loop.
final class SpoolWatcher {
    let folder: String
    /// The inotify descriptor, for `poll(2)`.
    let fd: Int32
    private var watch: Int32 = -1

    /// Starts watching `folder` (which must exist).
    init(folder: String) throws(DaemonError) {
        self.folder = folder
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw DaemonError.system("inotify_init1", path: folder) }
        do { try rewatch() } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// (Re)adds the watch, e.g. after the folder was recreated.
    func rewatch() throws(DaemonError) {
        if watch >= 0 { inotify_rm_watch(fd, watch) }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
        watch = inotify_add_watch(fd, folder, mask)
        guard watch >= 0 else { throw DaemonError.system("inotify_add_watch", path: folder) }
    }

    /// Reads every pending event without blocking.
    func drain() -> [SpoolEvent] {
        var events: [SpoolEvent] = []
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer, capacity)
            if count <= 0 { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                let headerSize = MemoryLayout<inotify_event>.size
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    events.append(.overflow)
                } else if event.mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT) != 0 {
                    if event.wd == watch { events.append(.folderGone) }
                } else if event.len > 0 {
                    let name = String(cString: (buffer + offset + headerSize).assumingMemoryBound(to: CChar.self))
                    if event.mask & UInt32(IN_ISDIR) != 0 {
                        // Folders in incoming/ are not inputs.
                    } else if event.mask & UInt32(IN_CREATE) != 0 {
                        events.append(.created(name))
                    } else {
                        events.append(.fileChanged(name))
                    }
                }
                offset += headerSize + Int(event.len)
            }
        }
        return events
    }
}

/// Wakes a `poll(2)` loop from other threads (signals, finished jobs, reloads): a self-pipe.
final class WakeupEvent: Sendable {
    /// The read end, for `poll(2)`.
    let fd: Int32
    private let writeEnd: Int32

    init() throws(DaemonError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw DaemonError.system("pipe", path: nil) }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        fd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(fd)
        close(writeEnd)
    }

    /// Wakes the loop (safe from any thread; a full pipe already means "wake up").
    func signal() {
        var one: UInt8 = 1
        _ = write(writeEnd, &one, 1)
    }

    /// Clears pending wakeups.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fd, &buffer, buffer.count) > 0 {}
    }
}

/// Names the spool never picks up (DESIGN §2): hidden files and unfinished uploads.
enum SpoolNames {
    static func isIgnored(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".tmp") || name.hasSuffix(".part") || name.hasSuffix(".partial")
    }
}
