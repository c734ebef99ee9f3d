import Archive
import Glibc
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// What the daemon tells its supervisor (systemd) as it goes; all optional.
struct DaemonHooks: Sendable {
    /// Startup finished: config read, processing/ recovered, initial scan and watches done.
    var ready: @Sendable () -> Void = {}
    /// A reload (SIGHUP) started; `ready` follows when it is applied.
    var reloading: @Sendable () -> Void = {}
    /// Shutdown started.
    var stopping: @Sendable () -> Void = {}
    /// Called about twice a second with a status line and whether every loop is alive.
    var tick: @Sendable (_ status: String, _ healthy: Bool) -> Void = { _, _ in }
    /// Called about once a second while a stop waits for running jobs.
    var waitingForJobs: @Sendable () -> Void = {}
}

/// The long-running daemon: one ``PipelineLoop`` per configured pipeline, reload on SIGHUP,
/// run-now on SIGUSR1, graceful shutdown on SIGTERM/SIGINT (owned by the service group).
final class Daemon: Service, Sendable {
    let configPath: String
    private let logger: Logger
    private let hooks: DaemonHooks
    private let state: Mutex<(config: DaemonConfig, loops: [String: PipelineLoop], retiring: [PipelineLoop])>
    private let status: StatusBoard
    private let duplicates: DuplicateIndex

    /// Prepares the daemon; `config` was already loaded and checked from `configPath`.
    init(config: DaemonConfig, configPath: String, logger: Logger, hooks: DaemonHooks = DaemonHooks()) throws(DaemonError) {
        self.configPath = configPath
        self.logger = logger
        self.hooks = hooks
        try SpoolFolders.makeFolder(config.stateDirectory)
        status = StatusBoard(stateDirectory: config.stateDirectory)
        do {
            duplicates = try DuplicateIndex(stateDirectory: config.stateDirectory)
        } catch {
            throw DaemonError(error.description)
        }
        state = Mutex((config, [:], []))
        try AtomicText.write(Self.pidPath(stateDirectory: config.stateDirectory), "\(getpid())\n")
    }

    static func pidPath(stateDirectory: String) -> String { stateDirectory + "/inferwatcher.pid" }
    static func runNowFolder(stateDirectory: String) -> String { stateDirectory + "/run-now" }

    func run() async throws {
        let config = state.withLock { $0.config }
        try SpoolFolders.makeFolder(Self.runNowFolder(stateDirectory: config.stateDirectory))
        var loops: [String: PipelineLoop] = [:]
        for pipeline in config.pipelines {
            let loop = try PipelineLoop(config: pipeline, duplicates: duplicates, status: status, logger: logger)
            try loop.start()
            loops[pipeline.name] = loop
            logger.info("watching \(pipeline.incoming) (schedule \(pipeline.schedule))", metadata: ["iw.pipeline": "\(pipeline.name)"])
        }
        state.withLock { $0.loops = loops }
        status.setPipelines(config.pipelines.map(\.name))
        status.setPhase("running")
        status.writeIfChanged(now: currentTime(), force: true)
        logger.info("ready: \(config.pipelines.count) pipeline(s)")
        hooks.ready()

        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await signal in await UnixSignalsSequence(trapping: .sighup, .sigusr1).cancelOnGracefulShutdown() {
                    if signal == .sighup { reload() } else { runNow() }
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    hooks.tick(status.summary(), isHealthy)
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            await group.next()
            group.cancelAll()
        }
        await shutdown()
    }

    /// Every pipeline loop went round in the last 10 s and every running job reported progress in
    /// the last 10 minutes; otherwise the watchdog pings stop and systemd restarts the daemon.
    var isHealthy: Bool {
        let loopsAlive = state.withLock { state in state.loops.values.allSatisfy { $0.isFinished || $0.secondsSinceHeartbeat < 10 } }
        return loopsAlive && status.longestSilence(now: monotonicNow()) < 600
    }

    private func reload() {
        hooks.reloading()
        status.setPhase("reloading")
        logger.info("reloading \(configPath)")
        defer {
            status.setPhase("running")
            hooks.ready()
        }
        let fresh: DaemonConfig
        do { fresh = try ConfigLoader.load(path: configPath) } catch {
            logger.error("reload failed, keeping the running configuration: \(error)")
            return
        }
        var started: [String] = []
        state.withLock { state in
            if fresh.stateDirectory != state.config.stateDirectory {
                logger.warning("state_dir changes apply only after a restart")
            }
            for pipeline in fresh.pipelines {
                if let loop = state.loops[pipeline.name] {
                    loop.request { $0.newConfig = pipeline }
                } else {
                    do {
                        let loop = try PipelineLoop(config: pipeline, duplicates: duplicates, status: status, logger: logger)
                        try loop.start()
                        state.loops[pipeline.name] = loop
                        started.append(pipeline.name)
                    } catch {
                        logger.error("cannot start new pipeline \(pipeline.name): \(error)")
                    }
                }
            }
            for (name, loop) in state.loops where fresh.pipeline(named: name) == nil {
                loop.request { $0.drain = true }
                state.retiring.append(loop)
                state.loops[name] = nil
                logger.info("pipeline \(name) removed: it finishes its current job and stops")
            }
            state.retiring.removeAll { $0.isFinished }
            var kept = fresh
            kept.stateDirectory = state.config.stateDirectory
            state.config = kept
        }
        status.setPipelines(fresh.pipelines.map(\.name))
        for name in started { logger.info("pipeline \(name) added") }
    }

    private func runNow() {
        let (stateDirectory, loops) = state.withLock { ($0.config.stateDirectory, $0.loops) }
        let folder = Self.runNowFolder(stateDirectory: stateDirectory)
        let requested = SpoolFolders.names(in: folder)
        for name in requested { SpoolFolders.remove("\(folder)/\(name)") }
        let targets = requested.isEmpty || requested.contains("*") ? Array(loops.keys) : requested.filter { loops[$0] != nil }
        for name in targets.sorted() {
            logger.info("run-now: running due work", metadata: ["iw.pipeline": "\(name)"])
            loops[name]?.request { $0.runNow = true }
        }
    }

    /// Stops claiming, lets running jobs finish within the stop timeout, then abandons them safely.
    private func shutdown() async {
        hooks.stopping()
        status.setPhase("stopping")
        let (loops, timeout) = state.withLock { (Array($0.loops.values) + $0.retiring, $0.config.stopTimeoutSeconds) }
        logger.info("stopping: no new jobs; running jobs get \(TimeSpan.format(timeout)) to finish")
        for loop in loops { loop.request { $0.stop = true } }
        let deadline = monotonicNow() + timeout
        var abandoned = false
        var lastExtension = 0.0
        while !loops.allSatisfy(\.isFinished) {
            if monotonicNow() - lastExtension >= 1 && monotonicNow() < deadline + 10 {
                lastExtension = monotonicNow()
                hooks.waitingForJobs()
            }
            if !abandoned && monotonicNow() >= deadline {
                abandoned = true
                logger.notice("stop timeout reached: abandoning running jobs (their files stay in processing/ and are redone on start)")
                for loop in loops { loop.abandonRunningJobs() }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        status.setPhase("stopped")
        status.writeIfChanged(now: currentTime(), force: true)
        logger.info("stopped")
    }
}
