import Synchronization

/// Tells systemd how a long-running service is doing, paced the way systemd wants it: READY after
/// startup and reloads, STATUS only when it changes, WATCHDOG pings at half the watchdog period
/// while the service says it is healthy, and EXTEND_TIMEOUT_USEC while a stop waits.
///
/// Outside systemd every call does nothing.
public final class SystemdLifecycleReporter: Sendable {
    private let notifier: SystemdNotifier
    private let clock = ContinuousClock()
    private let state: Mutex<(status: String, lastPing: ContinuousClock.Instant?)> = Mutex(("", nil))

    /// A reporter that sends through `notifier`.
    public init(notifier: SystemdNotifier = SystemdNotifier()) {
        self.notifier = notifier
    }

    /// Startup or a reload is complete.
    public func ready() {
        notifier.ready(status: "Ready")
        state.withLock { $0.status = "Ready" }
    }

    /// A reload started; ``ready()`` follows when it is applied.
    public func reloading() { notifier.reloading() }

    /// Shutdown started.
    public func stopping() { notifier.stopping() }

    /// A stop is still waiting for running work: asks systemd for 5 s more.
    public func waitingForWork() { notifier.extendTimeout(by: .seconds(5)) }

    /// Called regularly with the service's status line and whether every part of it is alive:
    /// sends the status if it changed, and pings the watchdog when a ping is due and all is well.
    public func tick(status: String, healthy: Bool) {
        guard notifier.isEnabled else { return }
        let now = clock.now
        let (sendStatus, ping) = state.withLock { state -> (Bool, Bool) in
            let changed = state.status != status
            state.status = status
            let due =
                healthy
                && notifier.watchdogInterval.map { interval in
                    state.lastPing.map { $0.duration(to: now) >= interval } ?? true
                } == true
            if due { state.lastPing = now }
            return (changed, due)
        }
        if sendStatus { notifier.status(status) }
        if ping { notifier.watchdog() }
    }
}
