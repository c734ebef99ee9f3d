import Archive
import Dispatch
import Engine
import Foundation
import Glibc
import Logging
import Synchronization

/// One pipeline's event loop, on its own thread: watches `incoming/` with inotify, waits for files
/// to settle, claims them into `processing/` when the schedule says, and runs jobs on job threads.
///
/// Other threads talk to it only through ``PipelineControl`` (a mutex and a wakeup eventfd).
final class PipelineLoop: Sendable {
    /// Requests from other threads, applied by the loop at its next turn.
    struct Requests: Sendable {
        var newConfig: PipelineConfig?
        var runNow = false
        var stop = false
        /// Stop after the running jobs finish (pipeline removed by a reload) rather than abandoning them.
        var drain = false
    }

    let name: String
    private let requests = Mutex(Requests())
    private let wakeup: WakeupEvent
    private let abandonJobs = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    /// Monotonic time of the loop's last turn (the watchdog's evidence that it is alive).
    private let heartbeat = Mutex(monotonicNow())
    private let initialConfig: PipelineConfig
    private let duplicates: DuplicateIndex
    private let status: StatusBoard
    private let logger: Logger
    private let ready = DispatchSemaphore(value: 0)
    private let startupError = Mutex<DaemonError?>(nil)

    init(config: PipelineConfig, duplicates: DuplicateIndex, status: StatusBoard, logger: Logger) throws(DaemonError) {
        name = config.name
        initialConfig = config
        self.duplicates = duplicates
        self.status = status
        var logger = logger
        logger[metadataKey: "iw.pipeline"] = "\(config.name)"
        self.logger = logger
        wakeup = try WakeupEvent()
    }

    /// Starts the loop thread and waits until recovery, the initial scan and the watch are done.
    func start() throws(DaemonError) {
        let thread = Thread { [self] in run() }
        thread.name = "pipeline-\(name)"
        thread.start()
        ready.wait()
        if let error = startupError.withLock({ $0 }) { throw error }
    }

    func request(_ change: (inout Requests) -> Void) {
        requests.withLock { change(&$0) }
        wakeup.signal()
    }

    /// Tells running jobs to abandon their file at the next chunk boundary (shutdown timeout).
    func abandonRunningJobs() { abandonJobs.store(true, ordering: .relaxed) }

    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Seconds since the loop last went round.
    var secondsSinceHeartbeat: Double { monotonicNow() - heartbeat.withLock { $0 } }

    // MARK: - The loop (runs only on the loop thread)

    private func run() {
        var state: LoopState
        do {
            state = try LoopState(config: initialConfig, logger: logger)
        } catch {
            startupError.withLock { $0 = error }
            ready.signal()
            finished.store(true, ordering: .releasing)
            return
        }
        status.update(name) { $0.queued = state.queue.count }
        ready.signal()
        var running: [String: ClaimedFile] = [:]  // processing path -> file
        let completions = Mutex<[(ClaimedFile, JobOutcome, Double)]>([])
        var slaWarned: Set<String> = []
        var draining = false
        while true {
            heartbeat.withLock { $0 = monotonicNow() }
            let now = currentTime()
            let pending = requests.withLock { pending -> Requests in
                let copy = pending
                pending = Requests()
                return copy
            }
            if let config = pending.newConfig {
                state.apply(config, now: now)
                logger.info("configuration reloaded; changes apply to the next job")
            }
            if pending.stop { draining = true }
            if pending.drain { draining = true }
            if pending.runNow { state.runNowRequested = true }

            // Finished jobs.
            let done = completions.withLock { list in
                defer { list = [] }
                return list
            }
            for (file, outcome, startedAt) in done {
                running[file.path] = nil
                slaWarned.remove(file.path)
                record(outcome, file: file, startedAt: startedAt, state: &state)
            }
            if draining && running.isEmpty { break }

            // Spool events, rescans and settling; claims when the schedule says.
            if !draining {
                state.observeSpool(now: now)
                state.claimDueFiles(now: now)
            }
            status.update(name) { s in
                s.waiting = state.tracker.pending.count
                s.queued = state.queue.count
                s.nextRun = state.nextElapse
            }

            // Start jobs.
            while !draining && running.count < state.config.maxParallelJobs,
                let index = state.queue.firstIndex(where: { $0.notBefore <= now && running[$0.path] == nil })
            {
                let file = state.queue.remove(at: index)
                running[file.path] = file
                let executor = JobExecutor(
                    pipeline: state.config, duplicates: duplicates, status: status, logger: logger,
                    shouldStop: { [self] in abandonJobs.load(ordering: .relaxed) })
                let wakeup = self.wakeup
                let started = currentTime()
                let thread = Thread {
                    let outcome = executor.run(file)
                    completions.withLock { $0.append((file, outcome, started)) }
                    wakeup.signal()
                }
                thread.name = "job-\(name)"
                thread.start()
            }

            // SLA: a job running longer than its SLA logs a warning once.
            for (path, file) in running where !slaWarned.contains(path) {
                let runningFor = now - (status.startTime(of: file.originalName, pipeline: name) ?? now)
                if runningFor > state.config.slaSeconds {
                    slaWarned.insert(path)
                    logger.warning(
                        "job has been running \(TimeSpan.format(runningFor)), past its SLA of \(TimeSpan.format(state.config.slaSeconds))",
                        metadata: ["iw.event": "sla-missed", "iw.input": "\(file.originalName)"])
                }
            }
            // Results are written at once; progress at most twice a second.
            status.writeIfChanged(now: now, force: !done.isEmpty)

            // Sleep until something happens or a deadline passes.
            var deadline = state.nextDeadline(now: now)
            if let retry = state.queue.map(\.notBefore).filter({ $0 > now }).min() { deadline = min(deadline, retry) }
            if !running.isEmpty { deadline = min(deadline, now + 1) }  // progress in status, SLA
            // Idle, the loop still turns every 5 s: that turn is the watchdog's evidence that it lives
            // (Daemon.isHealthy allows 10 s). It reads no folder: inotify does the watching.
            let timeout = Int32(max(0, min(deadline - now, 5.0)) * 1000) + (deadline > now ? 1 : 0)
            var fds = [
                pollfd(fd: state.watcher?.fd ?? -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeup.fd, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&fds, 2, timeout)
            wakeup.drain()
        }
        status.writeIfChanged(now: currentTime(), force: true)
        logger.info("pipeline stopped")
        finished.store(true, ordering: .releasing)
    }

    private func record(_ outcome: JobOutcome, file: ClaimedFile, startedAt: Double, state: inout LoopState) {
        let now = currentTime()
        var finishedJob = StatusBoard.FinishedJob(
            jobID: "", input: file.originalName, outcome: "", rows: 0, seconds: now - startedAt, finishedAt: now, location: "")
        switch outcome {
        case .archived(let folder, let report):
            finishedJob.outcome = "archived"
            finishedJob.rows = report.rowsRead
            finishedJob.location = folder
        case .alreadyArchived(let folder):
            finishedJob.outcome = "archived"
            finishedJob.location = folder
        case .skippedDuplicate(let first):
            finishedJob.outcome = "skipped duplicate"
            finishedJob.location = first
        case .quarantined(let path, _):
            finishedJob.outcome = "quarantined"
            finishedJob.location = path
        case .retryLater(_, let retryAt):
            var again = file
            again.attempts += 1
            again.notBefore = retryAt
            state.queue.append(again)
            status.update(name) { $0.running.removeAll { $0.input == file.originalName } }
            return
        case .abandoned:
            status.update(name) { $0.running.removeAll { $0.input == file.originalName } }
            return
        }
        finishedJob.jobID = status.jobID(of: file.originalName, pipeline: name) ?? ""
        status.finish(name, finishedJob)
    }
}

/// The loop's own state: its watcher, settling files and queue. Touched only by the loop thread.
private struct LoopState {
    var config: PipelineConfig
    let logger: Logger
    var watcher: SpoolWatcher?
    var tracker = SettleTracker()
    var queue: [ClaimedFile] = []
    var warned: Set<String> = []
    var nextRescan: Double
    var nextElapse: Double?
    var runNowRequested = false

    init(config: PipelineConfig, logger: Logger) throws(DaemonError) {
        self.config = config
        self.logger = logger
        nextRescan = currentTime() + config.rescanSeconds
        for folder in [config.incoming, config.processing, config.failed, config.archive] {
            try SpoolFolders.makeFolder(folder)
        }
        // Work folders of jobs a crash interrupted: their jobs are redone from processing/.
        let work = JobExecutor.workFolder(archive: config.archive)
        try SpoolFolders.makeFolder(work)
        for name in SpoolFolders.names(in: work) { SpoolFolders.removeTree("\(work)/\(name)") }
        do {
            for path in try ArchiveWriter.removeAbandonedStaging(root: config.archive) {
                logger.notice("removed an unfinished archive folder left by a crash: \(path)")
            }
        } catch {
            throw DaemonError("\(config.archive): \(error.description)")
        }
        recoverProcessing()
        watcher = try SpoolWatcher(folder: config.incoming)
        scan(now: currentTime())
        scheduleNext(after: currentTime())
    }

    /// Files left in `processing/` by a previous run are redone, oldest first.
    private mutating func recoverProcessing() {
        var recovered: [ClaimedFile] = []
        for name in SpoolFolders.names(in: config.processing) where !name.hasPrefix(".") {
            if let file = ClaimedFile(folder: config.processing, fileName: name) {
                recovered.append(file)
            } else {
                logger.warning("unexpected file in processing/ left alone: \(name)")
            }
        }
        recovered.sort { $0.arrivalNanoseconds < $1.arrivalNanoseconds }
        if !recovered.isEmpty { logger.notice("recovered \(recovered.count) unfinished job(s) from processing/") }
        queue = recovered
    }

    mutating func apply(_ newConfig: PipelineConfig, now: Double) {
        let scheduleChanged = newConfig.schedule != config.schedule
        let incomingChanged = newConfig.incoming != config.incoming
        config = newConfig
        if incomingChanged {
            try? SpoolFolders.makeFolder(config.incoming)
            try? SpoolFolders.makeFolder(config.processing)
            try? SpoolFolders.makeFolder(config.failed)
            watcher = try? SpoolWatcher(folder: config.incoming)
            tracker = SettleTracker()
            scan(now: now)
        }
        if scheduleChanged { scheduleNext(after: now) }
    }

    private mutating func scheduleNext(after now: Double) {
        if case .calendar(let calendar) = config.schedule {
            nextElapse = calendar.nextElapse(after: now)
        } else {
            nextElapse = nil
        }
    }

    /// Adds every eligible file in `incoming/` to the settle tracker.
    mutating func scan(now: Double) {
        for name in SpoolFolders.names(in: config.incoming) where !SpoolNames.isIgnored(name) {
            consider(name, now: now, restart: false)
        }
    }

    private mutating func consider(_ name: String, now: Double, restart: Bool) {
        guard !SpoolNames.isIgnored(name), let entry = SpoolFolders.entry(folder: config.incoming, name: name) else { return }
        guard entry.kind == .regular else {
            if entry.kind != .directory && warned.insert(name).inserted {
                logger.warning("ignoring \(name) in incoming/: not a regular file (\(entry.kind)); symlinks, FIFOs and devices are never processed")
            }
            return
        }
        if restart { tracker.restart(entry, now: now) } else { tracker.touch(entry, now: now) }
    }

    mutating func observeSpool(now: Double) {
        guard let watcher else {
            // The folder could not be watched: keep trying.
            if (try? SpoolFolders.makeFolder(config.incoming)) != nil, let fresh = try? SpoolWatcher(folder: config.incoming) {
                self.watcher = fresh
                scan(now: now)
            }
            return
        }
        for event in watcher.drain() {
            switch event {
            case .fileChanged(let name):
                consider(name, now: now, restart: true)
            case .created(let name):
                if let entry = SpoolFolders.entry(folder: config.incoming, name: name), entry.kind != .regular {
                    consider(name, now: now, restart: false)
                }
            case .overflow:
                logger.warning("inotify queue overflowed; rescanning incoming/")
                scan(now: now)
            case .folderGone:
                logger.warning("incoming/ was deleted or replaced; recreating and watching it again")
                do {
                    try SpoolFolders.makeFolder(config.incoming)
                    try watcher.rewatch()
                } catch {
                    logger.error("cannot watch \(config.incoming): \(error)")
                    self.watcher = nil
                }
                tracker = SettleTracker()
                scan(now: now)
            }
        }
        if now >= nextRescan {
            nextRescan = now + config.rescanSeconds
            scan(now: now)
        }
    }

    /// Claims settled files into `processing/` when the schedule is due.
    mutating func claimDueFiles(now: Double) {
        let incoming = config.incoming
        let result = tracker.ready(now: now, settle: config.settleSeconds) { SpoolFolders.entry(folder: incoming, name: $0) }
        let due: Bool
        switch config.schedule {
        case .immediate:
            due = true
        case .calendar:
            let timeDue = nextElapse.map { now >= $0 } ?? false
            due = timeDue || runNowRequested
            if timeDue { scheduleNext(after: now) }
        }
        if runNowRequested { runNowRequested = false }
        guard due else { return }
        for entry in result.ready {
            let arrival = currentNanoseconds()
            let file = ClaimedFile(folder: config.processing, original: entry.name, arrivalNanoseconds: arrival)
            do {
                try SpoolFolders.move("\(incoming)/\(entry.name)", to: file.path)
                tracker.forget(entry.name)
                queue.append(file)
                logger.info("claimed \(entry.name) (\(entry.size) bytes)", metadata: ["iw.input": "\(entry.name)"])
            } catch {
                tracker.forget(entry.name)
                logger.error("cannot claim \(entry.name): \(error)")
            }
        }
        if !result.ready.isEmpty { SpoolFolders.sync(folder: config.processing) }
    }

    /// The next time the loop must look again without an event.
    func nextDeadline(now: Double) -> Double {
        var deadline = nextRescan
        let incoming = config.incoming
        var copy = tracker
        if let next = copy.ready(now: now, settle: config.settleSeconds, stat: { SpoolFolders.entry(folder: incoming, name: $0) }).nextCheck {
            deadline = min(deadline, next)
        }
        if let nextElapse { deadline = min(deadline, nextElapse) }
        return deadline
    }
}
