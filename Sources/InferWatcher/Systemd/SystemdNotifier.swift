import CSystemd
import Glibc

/// Tells systemd what the daemon is doing (`sd_notify`): READY, STATUS, WATCHDOG, RELOADING,
/// STOPPING, EXTEND_TIMEOUT_USEC. Outside systemd (no `NOTIFY_SOCKET`) every call does nothing.
struct SystemdNotifier: Sendable {
    /// False outside systemd: nothing is sent.
    let isEnabled: Bool
    /// How often to ping the watchdog (half of `WATCHDOG_USEC`), or nil when no watchdog is set.
    let watchdogInterval: Double?

    /// Reads `NOTIFY_SOCKET` and `WATCHDOG_USEC` from the environment.
    init() {
        isEnabled = getenv("NOTIFY_SOCKET") != nil
        var microseconds: UInt64 = 0
        if isEnabled, sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 {
            watchdogInterval = Double(microseconds) / 2e6
        } else {
            watchdogInterval = nil
        }
    }

    /// Startup (or a reload) is complete.
    func ready(status: String) { send("READY=1\nSTATUS=\(status)") }

    /// The one-line status `systemctl status` shows.
    func status(_ text: String) { send("STATUS=\(text)") }

    /// The daemon is alive and making progress.
    func watchdog() { send("WATCHDOG=1") }

    /// A reload started; `ready` follows when it is applied.
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=Reloading configuration")
    }

    /// Shutdown started.
    func stopping() { send("STOPPING=1\nSTATUS=Stopping: finishing running jobs") }

    /// Asks systemd to wait `seconds` more for the current start/stop/reload.
    func extendTimeout(seconds: Double) { send("EXTEND_TIMEOUT_USEC=\(UInt64(seconds * 1e6))") }

    /// Sends one notification; newline-separated assignments, as sd_notify(3) takes them.
    func send(_ state: String) {
        guard isEnabled else { return }
        _ = sd_notify(0, state)
    }
}
