import Archive
public import Files
import Glibc
public import Logging
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// What the daemon tells its supervisor (systemd) as it goes; all optional.
public struct DaemonHooks: Sendable {
    /// Startup finished: config read, processing/ recovered, initial scan and watches done.
    public var ready: @Sendable () -> Void = {}
    /// A reload (SIGHUP) started; `ready` follows when it is applied.
    public var reloading: @Sendable () -> Void = {}
    /// Shutdown started.
    public var stopping: @Sendable () -> Void = {}
    /// Called about four times a second with a status line and whether every pipeline is alive.
    public var tick: @Sendable (_ status: String, _ healthy: Bool) -> Void = { _, _ in }
    /// Called about once a second while a stop waits for running jobs.
    public var waitingForJobs: @Sendable () -> Void = {}

    /// Hooks that call the given closures; each defaults to doing nothing.
    public init(
        ready: @escaping @Sendable () -> Void = {},
        reloading: @escaping @Sendable () -> Void = {},
        stopping: @escaping @Sendable () -> Void = {},
        tick: @escaping @Sendable (_ status: String, _ healthy: Bool) -> Void = { _, _ in },
        waitingForJobs: @escaping @Sendable () -> Void = {}
    ) {
        self.ready = ready
        self.reloading = reloading
        self.stopping = stopping
        self.tick = tick
        self.waitingForJobs = waitingForJobs
    }
}

/// The long-running daemon: each configured pipeline a ``PipelineService`` in an inner
/// `ServiceGroup`; reload on SIGHUP, run-now on SIGUSR1. Graceful shutdown (owned by the outer
/// service group: SIGTERM/SIGINT) stops claiming at once, gives running jobs `stop_timeout` to
/// finish, then cancels them: their files stay in processing/ and are redone on start.
public final class Daemon: Service, Sendable {
    /// The configuration file, read again on SIGHUP.
    public let configPath: String
    private let logger: Logger
    private let hooks: DaemonHooks
    private let clock: any DaemonClock
    private let fileSystem: any SpoolFileSystem
    private let state: Mutex<State>
    /// The live state behind status.json.
    let status: StatusBoard
    private let duplicates: DuplicateIndex
    private let beforeEachJob: PipelineService.BeforeEachJob?
    /// The Prometheus textfile (`metrics.textfile`), if configured.
    let metrics: MetricsTextfile?

    /// The pipelines running now (tests look at them).
    var pipelines: [PipelineService] { state.withLock { Array($0.pipelines.values) } }

    private struct State {
        var config: DaemonConfig
        var pipelines: [String: PipelineService] = [:]
        /// Pipelines a reload removed that may still be finishing a job.
        var retiring: [PipelineService] = []
        var group: ServiceGroup?
    }

    /// Prepares the daemon; `config` was already loaded and checked from `configPath`.
    /// - Parameter clock: the clock every schedule, settle time, backoff and SLA is measured on.
    /// - Throws: ``FileError`` when the state folder cannot be made or written.
    public convenience init(
        config: DaemonConfig, configPath: String, logger: Logger, hooks: DaemonHooks = DaemonHooks(),
        clock: any DaemonClock = SystemClock()
    ) throws(FileError) {
        try self.init(
            config: config, configPath: configPath, logger: logger, hooks: hooks, clock: clock, fileSystem: LocalFileSystem(),
            beforeEachJob: nil)
    }

    /// As above, with the spool's file operations given (tests inject faults) and a hook each job
    /// awaits before it starts (tests hold jobs "running" with it).
    init(
        config: DaemonConfig, configPath: String, logger: Logger, hooks: DaemonHooks, clock: any DaemonClock,
        fileSystem: any SpoolFileSystem, beforeEachJob: PipelineService.BeforeEachJob?
    ) throws(FileError) {
        self.beforeEachJob = beforeEachJob
        self.fileSystem = fileSystem
        self.configPath = configPath
        self.logger = logger
        self.hooks = hooks
        self.clock = clock
        try fileSystem.makeFolder(config.stateDirectory)
        status = StatusBoard(stateDirectory: config.stateDirectory)
        duplicates = try DuplicateIndex(stateDirectory: config.stateDirectory)
        metrics = config.metrics.isEnabled ? MetricsTextfile(path: config.metrics.textfile, logger: logger) : nil
        state = Mutex(State(config: config))
        try fileSystem.write("\(getpid())\n", to: Self.pidPath(stateDirectory: config.stateDirectory))
    }

    /// `<state_dir>/inferwatcher.pid`.
    public static func pidPath(stateDirectory: String) -> String { stateDirectory + "/inferwatcher.pid" }
    /// `<state_dir>/run-now`: `inferwatcher run-now` leaves the pipeline's name there before SIGUSR1.
    public static func runNowFolder(stateDirectory: String) -> String { stateDirectory + "/run-now" }

    /// How a child task of ``run()`` ended.
    private enum Ended: Sendable {
        case pipelinesEnded, stopRequested, stopTimedOut, other
    }

    public func run() async throws {
        let config = state.withLock { $0.config }
        try fileSystem.makeFolder(Self.runNowFolder(stateDirectory: config.stateDirectory))
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var pipelines: [String: PipelineService] = [:]
        for pipeline in config.pipelines {
            let service = try makePipeline(pipeline)
            pipelines[pipeline.name] = service
            services.append(.init(service: service, successTerminationBehavior: .ignore))
            logger.info("watching \(pipeline.incoming) (schedule \(pipeline.schedule))", metadata: ["iw.pipeline": "\(pipeline.name)"])
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        state.withLock {
            $0.pipelines = pipelines
            $0.group = group
        }
        status.setPipelines(config.pipelines.map(\.name))
        status.setPhase(.running)
        status.writeIfChanged(now: clock.now.unixSeconds, force: true)
        metrics?.write()
        logger.info("ready: \(config.pipelines.count) pipeline(s)")
        hooks.ready()

        try await withThrowingTaskGroup(of: Ended.self) { tasks in
            tasks.addTask {
                try await group.run()
                return .pipelinesEnded
            }
            tasks.addTask { [self] in
                await handleSignals()
                return .other
            }
            tasks.addTask { [self] in
                await reportHealth()
                return .other
            }
            tasks.addTask { [self] in
                await writeMetricsPeriodically()
                return .other
            }
            tasks.addTask {
                do { try await gracefulShutdown() } catch { return .other }
                return .stopRequested
            }
            while let ended = try await tasks.next() {
                switch ended {
                case .pipelinesEnded:
                    tasks.cancelAll()
                case .stopRequested:
                    let timeout = beginStop()
                    tasks.addTask { [clock] in
                        do { try await clock.sleep(for: timeout) } catch { return .other }
                        return .stopTimedOut
                    }
                    tasks.addTask { [self] in
                        await extendStopWhileWaiting(upTo: timeout + .seconds(10))
                        return .other
                    }
                case .stopTimedOut:
                    logger.notice(
                        "stop timeout reached: abandoning running jobs (their files stay in processing/ and are redone on start)")
                    tasks.cancelAll()
                case .other:
                    break
                }
            }
        }
        status.setPhase(.stopped)
        status.writeIfChanged(now: clock.now.unixSeconds, force: true)
        metrics?.write()
        logger.info("stopped")
    }

    /// Every pipeline went round in the last 10 s and every running job reported progress in the
    /// last 10 minutes; otherwise the watchdog pings stop and systemd restarts the daemon.
    var isHealthy: Bool {
        let pipelines = state.withLock { Array($0.pipelines.values) + $0.retiring }
        let alive = pipelines.allSatisfy { $0.isFinished || $0.timeSinceHeartbeat < .seconds(10) }
        return alive && status.longestSilence(now: clock.now.unixSeconds) < 600
    }

    private func makePipeline(_ config: PipelineConfig) throws(FileError) -> PipelineService {
        try PipelineService(
            config: config, duplicates: duplicates, status: status, clock: clock, fileSystem: fileSystem, logger: logger,
            metrics: metrics, beforeEachJob: beforeEachJob)
    }

    /// SIGHUP reloads, SIGUSR1 runs scheduled work now, until graceful shutdown.
    private func handleSignals() async {
        for await signal in await UnixSignalsSequence(trapping: .sighup, .sigusr1).cancelOnGracefulShutdown() {
            if signal == .sighup { await reload() } else { runNow() }
        }
    }

    /// Tells the supervisor the status line and health about four times a second.
    private func reportHealth() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            hooks.tick(status.summary(), isHealthy)
            try? await clock.sleep(for: .milliseconds(250))
        }
    }

    /// Rewrites the metrics textfile every `metrics.interval`, so that the queue depth stays fresh
    /// between jobs (and the file comes back if someone removed it), until the pipelines end.
    private func writeMetricsPeriodically() async {
        guard let metrics else { return }
        let interval = state.withLock { $0.config.metrics.interval }
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            metrics.write()
        }
    }

    /// Reads the configuration again and applies it: changed pipelines take the new settings for
    /// their next job, new ones start, removed ones finish their running job and stop.
    ///
    /// The file is read and new pipelines are prepared without holding the state's lock; the lock
    /// is taken only to swap the bookkeeping.
    package func reload() async {
        hooks.reloading()
        status.setPhase(.reloading)
        logger.info("reloading \(configPath)")
        defer {
            status.setPhase(.running)
            hooks.ready()
        }
        let fresh: DaemonConfig
        do { fresh = try ConfigLoader.load(path: configPath) } catch {
            logger.error("reload failed, keeping the running configuration: \(error)")
            return
        }
        let (running, group, stateDirectory, runningMetrics) = state.withLock {
            ($0.pipelines, $0.group, $0.config.stateDirectory, $0.config.metrics)
        }
        if fresh.stateDirectory != stateDirectory {
            logger.warning("state_dir changes apply only after a restart")
        }
        if fresh.metrics != runningMetrics {
            logger.warning("metrics changes apply only after a restart")
        }
        var added: [String: PipelineService] = [:]
        for pipeline in fresh.pipelines {
            if let service = running[pipeline.name] {
                service.apply(pipeline)
            } else {
                do { added[pipeline.name] = try makePipeline(pipeline) } catch {
                    logger.error("cannot start new pipeline \(pipeline.name): \(error)")
                }
            }
        }
        let removed = running.filter { fresh.pipeline(named: $0.key) == nil }
        for (name, service) in removed {
            service.stop()
            logger.info("pipeline \(name) removed: it finishes its current job and stops")
        }
        state.withLock { state in
            for (name, service) in removed {
                state.pipelines[name] = nil
                state.retiring.append(service)
            }
            state.retiring.removeAll { $0.isFinished }
            state.pipelines.merge(added) { $1 }
            var kept = fresh
            kept.stateDirectory = state.config.stateDirectory
            kept.metrics = state.config.metrics
            state.config = kept
        }
        for (name, service) in added.sorted(by: { $0.key < $1.key }) {
            await group?.addServiceUnlessShutdown(.init(service: service, successTerminationBehavior: .ignore))
            logger.info("pipeline \(name) added")
        }
        status.setPipelines(fresh.pipelines.map(\.name))
    }

    /// Runs the waiting files of the pipelines named in the run-now folder (all if none or `*`).
    package func runNow() {
        let (stateDirectory, pipelines) = state.withLock { ($0.config.stateDirectory, $0.pipelines) }
        let folder = Self.runNowFolder(stateDirectory: stateDirectory)
        let requested = fileSystem.names(in: folder)
        for name in requested { fileSystem.remove("\(folder)/\(name)") }
        let targets = requested.isEmpty || requested.contains("*") ? Array(pipelines.keys) : requested.filter { pipelines[$0] != nil }
        for name in targets.sorted() {
            logger.info("run-now: running due work", metadata: ["iw.pipeline": "\(name)"])
            pipelines[name]?.runNow()
        }
    }

    /// Stops every pipeline claiming; returns how long running jobs may still take.
    private func beginStop() -> Duration {
        hooks.stopping()
        status.setPhase(.stopping)
        let (pipelines, timeout) = state.withLock { (Array($0.pipelines.values) + $0.retiring, $0.config.stopTimeout) }
        logger.info("stopping: no new jobs; running jobs get \(TimeSpan.format(timeout)) to finish")
        for pipeline in pipelines { pipeline.stopClaiming() }
        return timeout
    }

    /// Asks the supervisor for more time once a second while the stop waits, up to `limit`.
    private func extendStopWhileWaiting(upTo limit: Duration) async {
        let end = clock.now + limit
        while clock.now < end {
            hooks.waitingForJobs()
            do { try await clock.sleep(for: .seconds(1)) } catch { return }
        }
    }
}
