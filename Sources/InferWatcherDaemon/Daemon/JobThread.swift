import Dispatch

/// Runs blocking work (a whole job: hashing, the engine, archiving) off the cooperative pool.
///
/// Each call gets its own serial Dispatch queue. libdispatch backs such a queue with an
/// overcommit worker thread, created when needed and reused once idle, so a job that blocks for
/// minutes never takes one of the cooperative pool's few threads. The engine still starts its own
/// worker threads inside the job, as it always has.
enum JobThread {
    /// Runs `work` on a thread of its own and returns its result.
    static func run<Result: Sendable>(label: String, _ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: label).async { continuation.resume(returning: work()) }
        }
    }
}
