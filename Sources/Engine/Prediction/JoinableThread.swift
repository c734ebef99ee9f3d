import Glibc

/// A POSIX thread running one closure, joined before the run that started it returns.
///
/// The pipeline's reader and workers block on semaphores for most of their life; on Linux,
/// Dispatch's global queues run only as many blocks at once as there are cores and add threads
/// for blocked ones only after a delay, which left one worker idle on a 2-core machine. Plain
/// threads start at once and are exactly as many as asked for.
struct JoinableThread {
    private let handle: pthread_t

    /// Starts `body` on a new thread; `role` names it in the error if it can't start.
    init(role: String, _ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var handle = pthread_t()
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        let status = pthread_create(
            &handle, nil,
            { context in
                let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
                box.body()
                return nil
            }, context)
        guard status == 0 else { fatalError("cannot start the \(role) thread: pthread_create returned \(status)") }
        self.handle = handle
    }

    /// Waits for the closure to return; call exactly once.
    func join() {
        pthread_join(handle, nil)
    }
}
