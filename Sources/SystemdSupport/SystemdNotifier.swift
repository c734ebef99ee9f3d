import CSystemd
import Glibc

/// Tells systemd what the daemon is doing (`sd_notify`): READY, STATUS, WATCHDOG, RELOADING,
/// STOPPING, EXTEND_TIMEOUT_USEC. Outside systemd (no `NOTIFY_SOCKET`) every call does nothing.
public struct SystemdNotifier: Sendable {
    /// False outside systemd: nothing is sent.
    public let isEnabled: Bool
    /// How often to ping the watchdog (half of `WATCHDOG_USEC`), or nil when no watchdog is set.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET` and `WATCHDOG_USEC` from the environment.
    public init() {
        isEnabled = getenv("NOTIFY_SOCKET") != nil
        var microseconds: UInt64 = 0
        if isEnabled, sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 {
            watchdogInterval = .microseconds(microseconds / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Startup (or a reload) is complete.
    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }

    /// The one-line status `systemctl status` shows.
    public func status(_ text: String) { send("STATUS=\(text)") }

    /// The daemon is alive and making progress.
    public func watchdog() { send("WATCHDOG=1") }

    /// A reload started; `ready` follows when it is applied.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=Reloading configuration")
    }

    /// Shutdown started.
    public func stopping() { send("STOPPING=1\nSTATUS=Stopping: finishing running jobs") }

    /// Asks systemd to wait `duration` more for the current start/stop/reload.
    public func extendTimeout(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        send("EXTEND_TIMEOUT_USEC=\(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)")
    }

    /// Sends one notification; newline-separated assignments, as sd_notify(3) takes them.
    public func send(_ state: String) {
        guard isEnabled else { return }
        _ = sd_notify(0, state)
    }
}
