import Archive
import ArgumentParser
import Files
import Glibc
import InferWatcherDaemon
import Logging
import OrderedJSON
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
        discussion: """
            Prints every key, defaults included, as YAML that check-config and serve accept as it \
            is (or as JSON with --json). Exits 0 when the file is valid, 2 with the key, value and \
            line of the first problem otherwise. Warnings (a model not there yet) go to stderr.
            """
    )

    @Option(name: .long, help: "The configuration file.")
    var config = DaemonConfig.defaultPath

    @Flag(name: .long, help: "Print the effective settings as JSON instead of YAML.")
    var json = false

    func run() throws {
        let loaded = try ConfigLoader.loadForCommand(path: config)
        for pipeline in loaded.pipelines where FileKind(pipeline.model) == .missing {
            Standard.error.write("inferwatcher: warning: pipeline \(pipeline.name): model \(pipeline.model) is not there yet\n")
        }
        if json {
            Standard.output.write(loaded.effectiveSettings.serialized())
        } else {
            Standard.output.write("# \(config): OK; every setting, defaults included\n" + loaded.yamlText())
        }
    }
}
