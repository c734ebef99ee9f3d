import Synchronization

/// Wakes one waiting task from anywhere (another task, a job thread, a Dispatch handler): the
/// pipeline's "something happened, look again".
///
/// A signal sent while nobody waits is kept, so a waiter never misses one; several signals before
/// the next wait count as one.
final class WakeupSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the waiter, or the next one if none waits now.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits for a signal or until `deadline` on `clock`, whichever comes first; with no deadline,
    /// for a signal only.
    ///
    /// Cancellation of the calling task ends the deadline's sleep but not the wait for a signal:
    /// a cancelled pipeline still waits for its jobs to report back, without spinning.
    func wait<C: Clock>(until deadline: C.Instant?, on clock: C) async {
        guard let deadline, !Task.isCancelled else {
            await waitForSignal()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal(orCancellation: true) }
            group.addTask { try? await clock.sleep(until: deadline, tolerance: nil) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal(orCancellation cancellable: Bool = false) async {
        if cancellable {
            await withTaskCancellationHandler {
                await suspendUntilSignalled(unlessCancelled: true)
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
        } else {
            await suspendUntilSignalled(unlessCancelled: false)
        }
    }

    private func suspendUntilSignalled(unlessCancelled: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                if unlessCancelled && Task.isCancelled { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
