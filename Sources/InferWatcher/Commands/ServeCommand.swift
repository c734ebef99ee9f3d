import Archive
import ArgumentParser
import Files
import Glibc
import InferWatcherDaemon
import Logging
import ServiceLifecycle
import SystemdSupport
import UnixSignals

/// `inferwatcher serve`: the daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: watch each pipeline's spool and process the files dropped there.",
        discussion: """
            Logs go to stderr (the journal under systemd). Signals: SIGTERM/SIGINT stop gracefully \
            (running jobs get stop_timeout to finish, then their files stay in processing/ and are redone \
            on start), SIGHUP reloads the configuration, SIGUSR1 runs scheduled work now.
            """
    )

    @Option(name: .long, help: "The configuration file.")
    var config = DaemonConfig.defaultPath

    func run() async throws {
        let loaded = try ConfigLoader.loadForCommand(path: config)
        // Under systemd (JOURNAL_STREAM set) logs go to the journal natively, with fields; in a
        // terminal, plain text on stderr.
        let toJournal = getenv("JOURNAL_STREAM") != nil
        LoggingSystem.bootstrap { label in
            if toJournal { return JournalLogHandler() }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "inferwatcher")
        let systemd = SystemdLifecycleReporter()
        let hooks = DaemonHooks(
            ready: systemd.ready, reloading: systemd.reloading, stopping: systemd.stopping,
            tick: { systemd.tick(status: $0, healthy: $1) }, waitingForJobs: systemd.waitingForWork)
        let daemon: Daemon
        do {
            daemon = try Daemon(config: loaded, configPath: config, logger: logger, hooks: hooks)
        } catch {
            throw CLIFailure.work(error.description)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: daemon)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            throw CLIFailure.work("the daemon stopped: \(error)")
        }
    }
}

/// `inferwatcher check-config`.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration file and print the effective settings.",
        discussion: "Exits 0 when the file is valid, 2 with the key, value and line of the first problem otherwise."
    )

    @Option(name: .long, help: "The configuration file.")
    var config = DaemonConfig.defaultPath

    func run() throws {
        let loaded = try ConfigLoader.loadForCommand(path: config)
        var lines = [
            "\(config): OK", "state_dir: \(loaded.stateDirectory)", "stop_timeout: \(TimeSpan.format(loaded.stopTimeout))", "pipelines:",
        ]
        for p in loaded.pipelines {
            lines.append("  \(p.name):")
            lines.append("    spool: \(p.spool)")
            lines.append("    archive: \(p.archive)")
            lines.append("    model: \(p.model)\(FileKind(p.model) == .missing ? "   (warning: not there yet)" : "")")
            lines.append("    threshold: \(p.threshold)")
            lines.append("    id_column: \(p.idColumn)")
            lines.append("    include_features: \(p.includeFeatures)")
            lines.append("    features: [\(p.features.joined(separator: ", "))]")
            lines.append("    batch_size: \(p.batchSize)")
            lines.append("    threads: \(p.threads)")
            lines.append("    schedule: \(p.schedule)")
            lines.append("    settle: \(TimeSpan.format(p.settle))")
            lines.append("    validation: \(p.policy.rawValue), max_rejected_fraction \(p.maxRejectedFraction)")
            lines.append(
                "    retries: \(p.retryAttempts) attempts, backoff \(TimeSpan.format(p.initialBackoff)) to \(TimeSpan.format(p.maxBackoff))"
            )
            lines.append("    sla: \(TimeSpan.format(p.sla))")
            lines.append("    duplicates: \(p.duplicates.rawValue)")
            lines.append("    compression: \(p.compression.rawValue)")
            lines.append("    retention_days: \(p.retentionDays)")
            lines.append("    max_parallel_jobs: \(p.maxParallelJobs)")
        }
        Standard.output.write(lines.joined(separator: "\n") + "\n")
    }
}
