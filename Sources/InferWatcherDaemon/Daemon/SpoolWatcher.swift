import Dispatch
import Files
import Glibc
import Synchronization
import SystemPackage

/// What the kernel told us about a spool's `incoming/` folder.
enum SpoolEvent: Equatable, Sendable {
    /// A file was closed after writing or moved in (the name byte for byte).
    case fileChanged(FilePath.Component)
    /// An entry was created or a folder moved in (only used to warn promptly about what is not a
    /// regular file: a regular file counts once it is closed after writing).
    case created(FilePath.Component)
    /// The kernel's event queue overflowed: events were lost, rescan.
    case overflow
    /// `incoming/` itself was deleted, moved or unmounted: recreate and re-watch.
    case folderGone
}

/// inotify on one folder (no polling): IN_CLOSE_WRITE and IN_MOVED_TO for files, IN_CREATE to spot
/// symlinks, FIFOs, sockets and folders early, plus the folder's own deletion or move.
///
/// The inotify descriptor is a Dispatch read source: when the kernel has events, a handler on the
/// watcher's own serial queue reads them all and hands them to `onEvents`. No thread of ours
/// blocks on it and nothing in the cooperative pool waits on a descriptor. (A dedicated thread in
/// `poll(2)` would do the same with a thread per pipeline; NIO would add a dependency for one fd.)
final class SpoolWatcher: Sendable {
    let folder: String
    private let fd: Int32
    private let watch: Mutex<Int32>
    // The source is used only to cancel it; Dispatch serialises its handlers on `queue`.
    private nonisolated(unsafe) let source: any DispatchSourceRead

    /// Starts watching `folder` (which must exist); `onEvents` gets each batch of events.
    init(folder: String, onEvents: @escaping @Sendable ([SpoolEvent]) -> Void) throws(FileError) {
        self.folder = folder
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw .system("cannot watch (inotify_init1)", path: folder, errno: errno) }
        self.fd = fd
        watch = Mutex(-1)
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: DispatchQueue(label: "iw.spool-watcher"))
        do { try rewatch() } catch {
            close(fd)
            throw error
        }
        source.setEventHandler { [weak self] in
            guard let self else { return }
            let events = Self.drain(fd: fd, watch: watch.withLock { $0 })
            if !events.isEmpty { onEvents(events) }
        }
        source.setCancelHandler { close(fd) }
        source.resume()
    }

    /// Stops watching and closes the descriptor.
    func stop() { source.cancel() }

    deinit { source.cancel() }

    /// (Re)adds the watch, e.g. after the folder was recreated.
    func rewatch() throws(FileError) {
        try watch.withLock { (watch: inout Int32) throws(FileError) in
            if watch >= 0 { inotify_rm_watch(fd, watch) }
            let mask = UInt32(
                IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW
                    | IN_EXCL_UNLINK)
            watch = inotify_add_watch(fd, folder, mask)
            guard watch >= 0 else { throw .system("cannot watch (inotify_add_watch)", path: folder, errno: errno) }
        }
    }

    /// Reads every pending event without blocking.
    private static func drain(fd: Int32, watch: Int32) -> [SpoolEvent] {
        var events: [SpoolEvent] = []
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer, capacity)
            if count <= 0 { break }
            var offset = 0
            let headerSize = MemoryLayout<inotify_event>.size
            while offset + headerSize <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    events.append(.overflow)
                } else if event.mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT) != 0 {
                    if event.wd == watch { events.append(.folderGone) }
                } else if event.len > 0,
                    let name = FilePath.Component(platformString: (buffer + offset + headerSize).assumingMemoryBound(to: CChar.self))
                {
                    // Folders in incoming/ are not inputs: seen only to be warned about.
                    if event.mask & UInt32(IN_CREATE | IN_ISDIR) != 0 {
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

/// Names the spool never picks up (DESIGN §2): hidden files and unfinished uploads.
enum SpoolNames {
    static func isIgnored(_ name: FilePath.Component) -> Bool {
        let bytes = name.bytes
        return bytes.first == UInt8(ascii: ".")
            || [".tmp", ".part", ".partial"].contains { bytes.suffix($0.utf8.count).elementsEqual($0.utf8) }
    }
}
