import Archive
import ArgumentParser
import Foundation
import InferWatcherDaemon
import OrderedJSON

/// `inferwatcher history`: the archived jobs, read from the archive itself.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List archived jobs: date, input, rows, rejected, max PSI, duration.",
        discussion: """
            Reads every job folder's manifest.json (and report.json for drift) under each \
            pipeline's archive, oldest first. Works whether or not the daemon is running.
            """
    )

    @Option(name: .long, help: "The configuration file (for the pipelines' archives).")
    var config = DaemonConfig.defaultPath

    @Option(name: .long, help: "Only this pipeline.")
    var pipeline: String?

    @Option(name: .long, help: "Only jobs archived on or after this day (YYYY-MM-DD).")
    var since: String?

    @Flag(name: .long, help: "A JSON array of the jobs (docs/DAEMON.md).")
    var json = false

    func run() throws {
        let loaded = try ConfigLoader.loadForCommand(path: config)
        let sinceDay = try since.map { since in
            guard let day = CalendarDate(folderName: since) else {
                throw CLIFailure.usage("--since must be a day written YYYY-MM-DD, not '\(since)'")
            }
            return day
        }
        var pipelines = loaded.pipelines
        if let pipeline {
            pipelines = pipelines.filter { $0.name == pipeline }
            guard !pipelines.isEmpty else {
                throw CLIFailure.usage(
                    "no pipeline '\(pipeline)' in \(config) (it has \(loaded.pipelines.map(\.name).joined(separator: ", ")))")
            }
        }
        var entries: [ArchiveHistory.Job] = []
        for pipeline in pipelines { entries += ArchiveHistory.jobs(in: pipeline.archive, since: sinceDay) }
        entries.sort { $0.manifest.finishedAt < $1.manifest.finishedAt }
        if json {
            Standard.output.write(JSONValue.array(entries.map(Self.json)).serialized())
            return
        }
        var lines = ["finished             pipeline      input                         rows   rejected  max PSI  seconds"]
        for entry in entries {
            let manifest = entry.manifest
            let psi = entry.maxPSI.map { String(format: "%.3f", $0) } ?? "-"
            lines.append(
                [
                    Self.pad(String(manifest.finishedAt.prefix(19)), 20), Self.pad(manifest.pipeline, 13),
                    Self.pad(manifest.input.name, 29), Self.pad(String(manifest.rows.read), 6, right: true),
                    Self.pad(String(manifest.rows.rejected), 10, right: true), Self.pad(psi, 8, right: true),
                    Self.pad(String(format: "%.2f", manifest.durationSeconds), 8, right: true),
                ].joined(separator: " ") + (entry.driftAlerts.isEmpty ? "" : "  DRIFT: " + entry.driftAlerts.joined(separator: ", ")))
        }
        if entries.isEmpty { lines.append("(no archived jobs)") }
        Standard.output.write(lines.joined(separator: "\n") + "\n")
    }

    static func json(_ entry: ArchiveHistory.Job) -> JSONValue {
        let manifest = entry.manifest
        return .object([
            ("pipeline", .string(manifest.pipeline)), ("job", .string(manifest.jobID)), ("folder", .string(entry.folder)),
            ("input", .string(manifest.input.name)), ("started_at", .string(manifest.startedAt)),
            ("finished_at", .string(manifest.finishedAt)), ("duration_s", .double(manifest.durationSeconds)),
            ("rows", .int(manifest.rows.read)), ("predicted", .int(manifest.rows.predicted)), ("rejected", .int(manifest.rows.rejected)),
            ("max_psi", entry.maxPSI.map(JSONValue.double) ?? .null), ("drift_alerts", .array(entry.driftAlerts.map(JSONValue.string))),
        ])
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(width - text.count, 0))
        return right ? fill + text : text + fill
    }
}
