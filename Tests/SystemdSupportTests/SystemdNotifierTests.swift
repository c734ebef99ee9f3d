import Foundation
import Logging
import Testing

@testable import SystemdSupport

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    let fd: Int32

    init() throws {
        path = NSTemporaryDirectory() + "iw-notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Points this process's NOTIFY_SOCKET at the socket, with a watchdog for this pid, as systemd would.
    func exportAsNotifySocket(watchdogMicroseconds: Int) {
        setenv("NOTIFY_SOCKET", path, 1)
        setenv("WATCHDOG_USEC", "\(watchdogMicroseconds)", 1)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
    }

    /// Removes what ``exportAsNotifySocket(watchdogMicroseconds:)`` set.
    static func clearEnvironment() {
        unsetenv("NOTIFY_SOCKET")
        unsetenv("WATCHDOG_USEC")
        unsetenv("WATCHDOG_PID")
    }

    /// The next datagram, or nil after 2 s.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }
}

@Suite("systemd integration", .serialized)
struct SystemdNotifierTests {
    @Test("the notifier sends exactly these messages, in order, to NOTIFY_SOCKET")
    func messages() throws {
        let socket = try NotifySocket()
        socket.exportAsNotifySocket(watchdogMicroseconds: 3_000_000)
        defer { NotifySocket.clearEnvironment() }
        let notifier = SystemdNotifier()
        #expect(notifier.isEnabled)
        #expect(notifier.watchdogInterval == .milliseconds(1500))
        notifier.ready(status: "Ready")
        notifier.status("Idle, 0 queued")
        notifier.watchdog()
        notifier.reloading()
        notifier.stopping()
        notifier.extendTimeout(by: .seconds(5))
        #expect(socket.receive() == "READY=1\nSTATUS=Ready")
        #expect(socket.receive() == "STATUS=Idle, 0 queued")
        #expect(socket.receive() == "WATCHDOG=1")
        let reloading = try #require(socket.receive())
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        let microseconds = UInt64(reloading.split(separator: "\n")[1].dropFirst("MONOTONIC_USEC=".count)) ?? 0
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowMicroseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        #expect(microseconds > 0 && microseconds <= nowMicroseconds && nowMicroseconds - microseconds < 5_000_000)
        #expect(socket.receive() == "STOPPING=1\nSTATUS=Stopping: finishing running jobs")
        #expect(socket.receive() == "EXTEND_TIMEOUT_USEC=5000000")
    }

    @Test("the reporter sends STATUS only when it changes and pings only while healthy, at half WATCHDOG_USEC")
    func reporter() throws {
        let socket = try NotifySocket()
        socket.exportAsNotifySocket(watchdogMicroseconds: 200_000)
        defer { NotifySocket.clearEnvironment() }
        let reporter = SystemdLifecycleReporter()
        reporter.ready()
        #expect(socket.receive() == "READY=1\nSTATUS=Ready")
        reporter.tick(status: "Idle, 0 queued", healthy: true)
        #expect(socket.receive() == "STATUS=Idle, 0 queued")
        #expect(socket.receive() == "WATCHDOG=1")
        reporter.tick(status: "Idle, 0 queued", healthy: true)  // same status, ping not due yet (interval 0.1 s)
        usleep(150_000)
        reporter.tick(status: "Idle, 0 queued", healthy: false)  // due, but unhealthy: no ping
        reporter.tick(status: "Running default: a.csv", healthy: false)
        #expect(socket.receive() == "STATUS=Running default: a.csv")
        reporter.tick(status: "Running default: a.csv", healthy: true)
        #expect(socket.receive() == "WATCHDOG=1")
    }

    @Test("outside systemd nothing is sent")
    func disabled() {
        unsetenv("NOTIFY_SOCKET")
        let notifier = SystemdNotifier()
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
    }

    @Test("journal fields: names, priority, code location, MESSAGE_ID, binary-safe values")
    func journalFields() {
        let fields = JournalFields.encode(
            level: .warning, message: "line one\nline two",
            metadata: [
                "iw.job": "abc123", "iw.duration_ms": "42", "iw.event": "job-succeeded", "weird key-ü": "x\u{0}y",
                "MESSAGE_ID": "235f12b688e74207a949d9ad474d2bc1",
            ], identifier: "inferwatcher", file: "InferWatcher/Daemon/JobExecutor.swift", function: "run(_:)", line: 77)
        let text = fields.map { String(decoding: $0, as: UTF8.self) }
        #expect(
            text == [
                "MESSAGE=line one\nline two",
                "PRIORITY=4",
                "SYSLOG_IDENTIFIER=inferwatcher",
                "CODE_FILE=InferWatcher/Daemon/JobExecutor.swift",
                "CODE_LINE=77",
                "CODE_FUNC=run(_:)",
                "MESSAGE_ID=235f12b688e74207a949d9ad474d2bc1",
                "INFERWATCHER_DURATION_MS=42",
                "INFERWATCHER_EVENT=job-succeeded",
                "INFERWATCHER_JOB=abc123",
                "INFERWATCHER_WEIRD_KEY__=x\u{0}y",
            ])
        #expect(fields.last == Array("INFERWATCHER_WEIRD_KEY__=x".utf8) + [0] + Array("y".utf8))
        #expect(JournalFields.priority(.critical) == 2)
        #expect(JournalFields.priority(.info) == 6)
        #expect(JournalFields.priority(.debug) == 7)
        #expect(JournalFields.fieldName(String(repeating: "k", count: 100)).count == 64)
    }
}
