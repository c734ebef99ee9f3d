import Synchronization

/// What reaches a pipeline's loop from outside it: requests from the daemon, spool events from
/// its watcher and outcomes from its jobs. Each post wakes the loop; the loop takes everything at
/// the start of its next turn.
final class PipelineInbox: Sendable {
    /// Requests from the daemon (reload, run-now, stop), applied at the loop's next turn.
    struct Requests: Sendable {
        /// A reloaded configuration for this pipeline.
        var newConfig: PipelineConfig?
        /// Run scheduled work now (SIGUSR1, `inferwatcher run-now`).
        var runNow = false
        /// Stop claiming new files (the daemon is stopping).
        var stopClaiming = false
        /// Stop claiming and end once the running jobs are done (this service's graceful shutdown,
        /// or a reload removed the pipeline).
        var end = false
    }

    /// Everything posted since the last ``take()``.
    struct Contents: Sendable {
        var requests = Requests()
        var spoolEvents: [SpoolEvent] = []
        var finishedJobs: [(file: ClaimedFile, outcome: JobOutcome)] = []
    }

    private let contents = Mutex(Contents())
    /// The loop waits on this between turns.
    let wakeup = WakeupSignal()

    /// Changes the pending requests and wakes the loop.
    func request(_ change: (inout Requests) -> Void) {
        contents.withLock { change(&$0.requests) }
        wakeup.signal()
    }

    /// Adds events from the spool watcher and wakes the loop.
    func post(_ events: [SpoolEvent]) {
        contents.withLock { $0.spoolEvents += events }
        wakeup.signal()
    }

    /// Reports a finished job attempt and wakes the loop.
    func post(finished file: ClaimedFile, _ outcome: JobOutcome) {
        contents.withLock { $0.finishedJobs.append((file, outcome)) }
        wakeup.signal()
    }

    /// Takes everything posted so far.
    func take() -> Contents {
        contents.withLock { contents in
            defer { contents = Contents() }
            return contents
        }
    }
}
