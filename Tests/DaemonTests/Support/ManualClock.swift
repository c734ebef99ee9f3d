import Synchronization

@testable import InferWatcherDaemon

/// A clock that moves only when a test says so: sleepers wake when ``advance(by:)`` passes their
/// deadline, so minutes of settle time, backoff and SLA take no real time.
final class ManualClock: DaemonClock {
    private struct Sleeper {
        let id: Int
        let deadline: UnixInstant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: UnixInstant
        var sleepers: [Sleeper] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    /// A clock that reads `start` until advanced.
    init(start: UnixInstant) {
        state = Mutex(State(now: start))
    }

    var now: UnixInstant { state.withLock { $0.now } }

    var minimumResolution: Duration { .nanoseconds(1) }

    /// Whether a task is sleeping until exactly `deadline`.
    func hasSleeper(until deadline: UnixInstant) -> Bool {
        state.withLock { $0.sleepers.contains { $0.deadline == deadline } }
    }

    func sleep(until deadline: UnixInstant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the time forward and wakes every sleeper whose deadline has come.
    func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now + duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
