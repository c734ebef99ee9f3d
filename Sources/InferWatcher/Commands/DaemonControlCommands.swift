import Archive
import ArgumentParser
import Engine
import Files
import Foundation
import InferWatcherDaemon

/// `inferwatcher status`: what the running daemon is doing.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each pipeline's queued files, current job and progress, and last results."
    )

    @Option(name: .long, help: "The configuration file (for state_dir).")
    var config = DaemonConfig.defaultPath

    @Flag(name: .long, help: "Print status.json, whose schema docs/DAEMON.md documents.")
    var json = false

    func run() throws {
        let loaded = try ConfigLoader.loadForCommand(path: config)
        let path = loaded.stateDirectory + "/status.json"
        let data: Data
        do { data = Data(try FileContents.read(path)) } catch {
            throw CLIFailure.work("\(path): no status: \(error.reason); is the daemon running (systemctl status inferwatcher)?")
        }
        if json {
            Standard.output.write(String(decoding: data, as: UTF8.self))
            return
        }
        let document: StatusDocument
        do { document = try JSONDecoder().decode(StatusDocument.self, from: data) } catch {
            throw CLIFailure.work("\(path): not a status document this version reads; restart the daemon to rewrite it")
        }
        let alive = document.pid > 0 && kill(pid_t(document.pid), 0) == 0
        var lines = ["daemon: \(document.phase.rawValue) (pid \(document.pid)\(alive ? "" : ", not running"))"]
        for name in loaded.pipelines.map(\.name) {
            guard let pipeline = document.pipelines[name] else { continue }
            lines.append("\(name):")
            lines.append("  waiting in incoming/: \(pipeline.waiting), queued: \(pipeline.queued)")
            if let next = pipeline.nextRun { lines.append("  next run: \(Self.local(next))") }
            for job in pipeline.running {
                let percent = job.percent.map { "\($0)%" } ?? "?"
                lines.append(
                    "  running: \(job.input) (job \(job.jobID)) \(percent), \(job.rowsRead) rows, \(Int(job.rowsPerSecond)) rows/s")
            }
            if !pipeline.recent.isEmpty { lines.append("  last results:") }
            for job in pipeline.recent.prefix(5) {
                var line = "    \(Self.local(job.finishedAt))  \(job.input)  \(job.outcome.rawValue)  \(job.rows) rows"
                if job.outcome == .archived, job.seconds > 0 { line += " (\(Int(Double(job.rows) / job.seconds)) rows/s)" }
                if let psi = job.maxPSI { line += "  max PSI \(Self.fixed(psi, 3))" }
                if let alerts = job.driftAlerts, !alerts.isEmpty { line += " DRIFT: \(alerts.joined(separator: ", "))" }
                lines.append(line + "  \(job.location)")
            }
        }
        Standard.output.write(lines.joined(separator: "\n") + "\n")
    }

    /// `value` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    static func local(_ unix: Double) -> String {
        var seconds = time_t(unix)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, 32, "%Y-%m-%d %H:%M:%S", &parts)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `inferwatcher run-now [PIPELINE]`: run scheduled work now (same as SIGUSR1).
struct RunNowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-now",
        abstract: "Run the waiting files of one pipeline (or all) now, whatever the schedule says."
    )

    @Option(name: .long, help: "The configuration file (for state_dir).")
    var config = DaemonConfig.defaultPath

    @Argument(help: "The pipeline (default: all).")
    var pipeline: String?

    func run() throws {
        let loaded = try ConfigLoader.loadForCommand(path: config)
        if let pipeline, loaded.pipeline(named: pipeline) == nil {
            throw CLIFailure.usage(
                "no pipeline named '\(pipeline)' in \(config) (have: \(loaded.pipelines.map(\.name).joined(separator: ", ")))")
        }
        let pidText = (try? FileContents.text(Daemon.pidPath(stateDirectory: loaded.stateDirectory))) ?? ""
        guard let pid = Int32(pidText.filter { $0.isNumber }), pid > 0, kill(pid, 0) == 0 else {
            throw CLIFailure.work("the daemon is not running (no live pid in \(Daemon.pidPath(stateDirectory: loaded.stateDirectory)))")
        }
        let folder = Daemon.runNowFolder(stateDirectory: loaded.stateDirectory)
        do {
            try FileTree.makeDirectories(folder)
            try AtomicFile.write("", to: "\(folder)/\(pipeline ?? "*")")
        } catch {
            throw CLIFailure.work(error.description)
        }
        guard kill(pid, SIGUSR1) == 0 else { throw CLIFailure.work("cannot signal pid \(pid): \(String(cString: strerror(errno)))") }
        Standard.output.write("asked the daemon (pid \(pid)) to run \(pipeline.map { "pipeline \($0)" } ?? "every pipeline") now\n")
    }
}

/// `inferwatcher prune`: archive retention.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete archive date folders older than the retention (never today's).",
        discussion: "Uses each pipeline's retention_days unless --older-than is given. Run daily by inferwatcher-prune.timer."
    )

    @Option(name: .long, help: "The configuration file.")
    var config = DaemonConfig.defaultPath

    @Option(name: .long, help: "Remove date folders older than this many days (overrides retention_days).")
    var olderThan: Int?

    @Flag(name: .long, help: "Only list what would be removed.")
    var dryRun = false

    func run() throws {
        let loaded = try ConfigLoader.loadForCommand(path: config)
        if let olderThan, olderThan < 1 { throw CLIFailure.usage("--older-than must be at least 1 day") }
        var failures = 0
        for pipeline in loaded.pipelines {
            let days = olderThan ?? pipeline.retentionDays
            let result: PruneResult
            do {
                result = try ArchivePruner.prune(
                    root: pipeline.archive, olderThanDays: days, now: SystemClock().now.unixSeconds, dryRun: dryRun)
            } catch {
                throw CLIFailure.work(error.description)
            }
            for folder in result.removed {
                Standard.output.write(
                    "\(dryRun ? "would remove" : "removed") \(folder.path) (\(folder.files) files, \(folder.bytes) bytes)\n")
            }
            for failure in result.failures {
                failures += 1
                Standard.error.write("inferwatcher: \(failure)\n")
            }
            Standard.output.write(
                "\(pipeline.name): \(result.removed.count) folder(s) older than \(days) days \(dryRun ? "would be " : "")removed\n")
        }
        if failures > 0 { throw CLIFailure.work("\(failures) folder(s) could not be removed") }
    }
}
