import Glibc
import Synchronization

/// Connects the daemon's life cycle to systemd: READY after startup and reloads, STATUS when it
/// changes, WATCHDOG pings at half the watchdog period while every loop is healthy, and
/// EXTEND_TIMEOUT_USEC while a stop waits for running jobs.
enum SystemdHooks {
    static func make(_ notifier: SystemdNotifier) -> DaemonHooks {
        guard notifier.isEnabled else { return DaemonHooks() }
        let state = Mutex((status: "", lastPing: 0.0))
        return DaemonHooks(
            ready: {
                notifier.ready(status: "Ready")
                state.withLock { $0.status = "Ready" }
            },
            reloading: { notifier.reloading() },
            stopping: { notifier.stopping() },
            tick: { status, healthy in
                let now = monotonicNow()
                let (sendStatus, ping) = state.withLock { state -> (Bool, Bool) in
                    let changed = state.status != status
                    state.status = status
                    let due = healthy && notifier.watchdogInterval.map { now - state.lastPing >= $0 } == true
                    if due { state.lastPing = now }
                    return (changed, due)
                }
                if sendStatus { notifier.status(status) }
                if ping { notifier.watchdog() }
            },
            waitingForJobs: { notifier.extendTimeout(seconds: 5) }
        )
    }
}
