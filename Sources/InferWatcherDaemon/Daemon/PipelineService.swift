import Archive
import Engine
import Files
import Logging
import ServiceLifecycle
import Synchronization

/// One pipeline as a service: watches `incoming/`, waits for files to settle, claims them into
/// `processing/` when the schedule says, and runs up to `max_parallel_jobs` jobs at once.
///
/// Its loop is one task that sleeps on the injected clock until something happens (an inotify
/// event, a finished job, a request) or a deadline passes (settle, rescan, schedule, retry, SLA).
/// Jobs are child tasks of the loop, each running its blocking work on a ``JobThread``.
///
/// Stopping: ``stopClaiming()`` (the daemon is stopping) stops claiming at once, in every pipeline
/// together. `run()` ends when the running jobs are done and either this service's graceful
/// shutdown came or ``stop()`` was called (a reload removed the pipeline): the inner service group
/// shuts its services down one by one and must not see one end before its turn. Cancellation
/// abandons the running jobs at their next chunk boundary; their files stay in `processing/` and
/// are redone on start.
final class PipelineService: Service, Sendable {
    let name: String
    private let inbox = PipelineInbox()
    private let prepared: Mutex<SpoolState?>
    private let duplicates: DuplicateIndex
    private let status: StatusBoard
    private let clock: any DaemonClock
    private let fileSystem: any SpoolFileSystem
    private let logger: Logger
    private let heartbeat: Mutex<UnixInstant>
    private let lastTurn: Mutex<(at: UnixInstant, nextWake: UnixInstant)?> = Mutex(nil)
    private let finished = Atomic<Bool>(false)
    private let beforeEachJob: BeforeEachJob?
    private let hooks: AlertHookRunner
    private let metrics: MetricsTextfile?

    /// Awaited by each job before its work starts, with the input's name: lets tests hold a job
    /// "running" for as long as they need. Never set in production.
    typealias BeforeEachJob = @Sendable (_ input: String) async -> Void

    /// Prepares the pipeline: folders, recovery of `processing/`, the watch and a first scan.
    /// - Throws: ``FileError`` when a folder cannot be made or watched.
    init(
        config: PipelineConfig, duplicates: DuplicateIndex, status: StatusBoard, clock: any DaemonClock,
        fileSystem: any SpoolFileSystem, logger: Logger, metrics: MetricsTextfile? = nil, beforeEachJob: BeforeEachJob? = nil
    ) throws(FileError) {
        name = config.name
        self.beforeEachJob = beforeEachJob
        self.metrics = metrics
        self.duplicates = duplicates
        self.status = status
        self.clock = clock
        self.fileSystem = fileSystem
        var logger = logger
        logger[metadataKey: "iw.pipeline"] = "\(config.name)"
        self.logger = logger
        hooks = AlertHookRunner(logger: logger)
        let now = clock.now
        heartbeat = Mutex(now)
        let state = try SpoolState(config: config, inbox: inbox, fileSystem: fileSystem, logger: logger, now: now)
        status.update(config.name) { $0.queued = state.queue.count }
        metrics?.addPipeline(config.name)
        metrics?.setQueueDepth(pipeline: config.name, state.tracker.pending.count + state.queue.count)
        prepared = Mutex(state)
    }

    /// Applies a reloaded configuration at the loop's next turn (to the next job, not a running one).
    func apply(_ config: PipelineConfig) { inbox.request { $0.newConfig = config } }

    /// Runs scheduled work now, whatever the schedule says.
    func runNow() { inbox.request { $0.runNow = true } }

    /// Stops claiming new files; running jobs go on.
    func stopClaiming() { inbox.request { $0.stopClaiming = true } }

    /// Stops claiming; `run()` ends once the running jobs are done.
    func stop() { inbox.request { $0.end = true } }

    /// True once `run()` has ended.
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// How long ago the loop last went round (the watchdog's evidence that it lives).
    var timeSinceHeartbeat: Duration { heartbeat.withLock { $0 }.duration(to: clock.now) }

    /// The last turn the loop completed: the clock's time at its start (everything due by then,
    /// settled files, elapses, retries, SLAs, has been acted on) and when it will look again
    /// without an event.
    var lastCompletedTurn: (at: UnixInstant, nextWake: UnixInstant)? { lastTurn.withLock { $0 } }

    func run() async {
        defer { finished.store(true, ordering: .releasing) }
        guard var state = prepared.withLock({ $0.take() }) else { return }  // a service runs once
        await withGracefulShutdownHandler {
            await loop(&state)
        } onGracefulShutdown: { [inbox] in
            inbox.request { $0.end = true }
        }
        state.stopWatching()
        status.writeIfChanged(now: clock.now.unixSeconds, force: true)
        logger.info("pipeline stopped")
    }

    /// A job this pipeline is running.
    private struct RunningJob {
        let file: ClaimedFile
        let startedAt: UnixInstant
        var slaReported = false
    }

    private func loop(_ state: inout SpoolState) async {
        var running: [String: RunningJob] = [:]  // by path in processing/
        var stopping = false
        var ending = false
        await withDiscardingTaskGroup { jobs in
            while true {
                let now = clock.now
                heartbeat.withLock { $0 = now }
                let posted = inbox.take()
                if let config = posted.requests.newConfig {
                    state.apply(config, now: now)
                    logger.info("configuration reloaded; changes apply to the next job")
                }
                if posted.requests.end || Task.isCancelled { ending = true }
                if posted.requests.stopClaiming || ending { stopping = true }
                if posted.requests.runNow { state.requestRunNow() }
                for (file, outcome) in posted.finishedJobs {
                    let job = running.removeValue(forKey: file.path)
                    record(outcome, file: file, startedAt: job?.startedAt ?? now, now: now, state: &state)
                }
                if ending && running.isEmpty { break }

                if !stopping {
                    state.observe(posted.spoolEvents, now: now)
                    state.claimDueFiles(now: now)
                }
                let (waiting, queued, nextRun) = (state.tracker.pending.count, state.queue.count, state.nextElapse?.unixSeconds)
                status.update(name) { pipeline in
                    pipeline.waiting = waiting
                    pipeline.queued = queued
                    pipeline.nextRun = nextRun
                }
                metrics?.setQueueDepth(pipeline: name, waiting + queued)
                // After every job; the daemon also rewrites the file every metrics.interval.
                if !posted.finishedJobs.isEmpty { metrics?.write() }

                while !stopping && running.count < state.config.maxParallelJobs,
                    let index = state.queue.firstIndex(where: { $0.notBefore <= now && running[$0.path] == nil })
                {
                    let file = state.queue.remove(at: index)
                    running[file.path] = RunningJob(file: file, startedAt: now)
                    start(file, config: state.config, ledger: state.ledger, in: &jobs)
                }

                var deadline = stopping ? now + .seconds(5) : state.nextDeadline(now: now)
                for (path, job) in running {
                    let due = job.startedAt + state.config.sla
                    if now >= due && !job.slaReported {
                        running[path]?.slaReported = true
                        let reason =
                            "job has been running \(TimeSpan.format(job.startedAt.duration(to: now))), past its SLA of \(TimeSpan.format(state.config.sla))"
                        logger.warning("\(reason)", metadata: .event(.slaMissed, ["iw.input": "\(job.file.originalName)"]))
                        let event = AlertEvent(
                            kind: .slaMiss, pipeline: name, job: status.jobID(of: job.file.originalName, pipeline: name) ?? "",
                            input: job.file.originalName, reason: reason, archive: "")
                        hooks.fire(state.config.alerts.onSLAMiss, for: event, timeout: state.config.alerts.timeout)
                    } else if !job.slaReported {
                        deadline = min(deadline, due)
                    }
                }
                // Results are written at once; progress at most twice a second.
                status.writeIfChanged(now: now.unixSeconds, force: !posted.finishedJobs.isEmpty)
                // While jobs run, their progress reaches status.json every second. Idle, the loop still
                // turns every 5 s: that turn is the watchdog's evidence that it lives (the daemon allows
                // 10 s). It reads no folder: inotify does the watching.
                deadline = min(deadline, now + (running.isEmpty ? .seconds(5) : .seconds(1)))
                lastTurn.withLock { $0 = (now, deadline) }
                await inbox.wakeup.wait(until: deadline, on: clock)
            }
        }
    }

    /// Starts a job for `file` as a child task; its outcome comes back through the inbox.
    private func start(
        _ file: ClaimedFile, config: PipelineConfig, ledger: ClaimLedger, in jobs: inout DiscardingTaskGroup
    ) {
        let abandon = AbandonFlag()
        let executor = JobExecutor(
            pipeline: config, duplicates: duplicates, status: status, ledger: ledger, fileSystem: fileSystem, clock: clock,
            logger: logger,
            shouldStop: { abandon.isRaised })
        let inbox = self.inbox
        let label = "iw.job.\(name)"
        let beforeEachJob = self.beforeEachJob
        jobs.addTask {
            let outcome = await withTaskCancellationHandler {
                await beforeEachJob?(file.originalName)
                return await JobThread.run(label: label) { executor.run(file) }
            } onCancel: {
                abandon.raise()
            }
            inbox.post(finished: file, outcome)
        }
    }

    private func record(_ outcome: JobOutcome, file: ClaimedFile, startedAt: UnixInstant, now: UnixInstant, state: inout SpoolState) {
        let duration = startedAt.duration(to: now)
        var finishedJob = StatusBoard.FinishedJob(
            jobID: "", input: file.originalName, outcome: .archived, rows: 0,
            seconds: duration.inSeconds, finishedAt: now.unixSeconds, location: "")
        switch outcome {
        case .archived(let folder, let report):
            finishedJob.rows = report.rowsRead
            finishedJob.location = folder
            finishedJob.maxPSI = report.drift?.maximumPSI
            finishedJob.driftAlerts = report.drift?.alerted.map(\.name)
            metrics?.recordArchived(
                pipeline: name, predicted: report.rowsPredicted, rejected: report.rowsRejected, duration: duration, at: now)
            if let drift = report.drift {
                metrics?.recordDrift(pipeline: name, psi: drift.features.map { ($0.name, $0.psi) })
                if drift.level == .alert {
                    let event = AlertEvent(
                        kind: .drift, pipeline: name, job: status.jobID(of: file.originalName, pipeline: name) ?? "",
                        input: file.originalName, reason: drift.summaryLine, archive: folder)
                    hooks.fire(state.config.alerts.onDrift, for: event, timeout: state.config.alerts.timeout)
                }
            }
        case .alreadyArchived(let folder):
            finishedJob.location = folder
            metrics?.recordSuccess(pipeline: name, at: now)
        case .skippedDuplicate(let first):
            finishedJob.outcome = .skippedDuplicate
            finishedJob.location = first
            metrics?.recordSuccess(pipeline: name, at: now)
        case .quarantined(let path, let reason):
            finishedJob.outcome = .quarantined
            finishedJob.location = path
            metrics?.recordQuarantine(pipeline: name, duration: duration)
            // The last try only: a retried failure comes back as retryLater, not here.
            let event = AlertEvent(
                kind: .failure, pipeline: name, job: status.jobID(of: file.originalName, pipeline: name) ?? "", input: file.originalName,
                reason: reason, archive: path)
            hooks.fire(state.config.alerts.onFailure, for: event, timeout: state.config.alerts.timeout)
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

/// Tells a running job to give up at its next chunk boundary (set when its task is cancelled).
private final class AbandonFlag: Sendable {
    private let raised = Atomic(false)

    func raise() { raised.store(true, ordering: .relaxed) }

    var isRaised: Bool { raised.load(ordering: .relaxed) }
}
