import Foundation
import Testing

/// `alerts:` hooks (issue 13): each fires once per occurrence, with the event in its environment,
/// never blocks the pipeline and never fails it.
@Suite("Alert hooks", .serialized)
struct AlertHookIntegrationTests {
    /// A hook script that appends one line per call to `marker`: event|pipeline|job|input|archive|reason.
    static func hook(in daemon: DaemonHarness, marker: String, extra: String = "") throws -> String {
        let path = daemon.root + "/hook.sh"
        let script = """
            #!/bin/sh
            printf '%s|%s|%s|%s|%s|%s\\n' "$INFERWATCHER_EVENT" "$INFERWATCHER_PIPELINE" "$INFERWATCHER_JOB" \
              "$INFERWATCHER_INPUT" "$INFERWATCHER_ARCHIVE" "$INFERWATCHER_REASON" >> \(marker)
            \(extra)
            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    static func lines(_ path: String) -> [[String]] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map {
            $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        }
    }

    @Test("on_failure fires once per quarantined file: at once for bad rows, after the last try for a failing model")
    func failure() throws {
        let daemon = try DaemonHarness()
        let marker = daemon.root + "/failures.txt"
        let hook = try Self.hook(in: daemon, marker: marker)
        try daemon.configure("alerts: {on_failure: \(hook), timeout: 5s}")
        try daemon.start()
        try daemon.drop("bad_batch.csv", sampleCSV(rows: 50, badLine: 7))
        waitUntil(20, "the hook to report the quarantine") { Self.lines(marker).count == 1 }
        let line = try #require(Self.lines(marker).first)
        #expect(line[0] == "failure" && line[1] == "default" && line[3] == "bad_batch.csv")
        #expect(!line[2].isEmpty, "the job id")
        #expect(line[4].hasPrefix(daemon.failed + "/"), "where the input went: \(line[4])")
        #expect(line[5].hasPrefix("bad_batch.csv:7:"), "the reason: \(line[5])")
        waitUntil(10, "the hook's end to be logged") { daemon.log.contains("failure alert hook") && daemon.log.contains("finished") }
        // A good file after it is archived as usual, and fires nothing.
        try daemon.drop("good.csv", sampleCSV(rows: 50))
        waitUntil(20, "the good file to be archived") { daemon.log.contains("job succeeded") }
        #expect(daemon.stop() == 0)
        #expect(Self.lines(marker).count == 1)

        // Every try fails (no model): quarantined after the last of 3, and the hook fires once.
        let retried = try DaemonHarness()
        let retriedMarker = retried.root + "/failures.txt"
        let retriedHook = try Self.hook(in: retried, marker: retriedMarker)
        try retried.configure(
            "alerts: {on_failure: \(retriedHook)}\nretries: {attempts: 3, initial_backoff: 100ms, max_backoff: 200ms}",
            model: retried.root + "/missing.onnx")
        try retried.start()
        try retried.drop("batch.csv", sampleCSV(rows: 20))
        waitUntil(20, "the input to be quarantined") { !retried.files(in: retried.failed).isEmpty }
        waitUntil(10, "the hook to run") { Self.lines(retriedMarker).count == 1 }
        #expect(retried.log.components(separatedBy: "failed, retrying").count - 1 == 2, "two retries before the quarantine")
        #expect(Self.lines(retriedMarker).first?[5].contains("gave up after 3 attempts") == true)
        #expect(retried.stop() == 0)
        #expect(Self.lines(retriedMarker).count == 1)
    }

    @Test("on_sla_miss fires once per job; a hook that hangs is stopped at its timeout and the job goes on")
    func slaMiss() throws {
        let daemon = try DaemonHarness()
        let marker = daemon.root + "/sla.txt"
        // The hook then hangs (a child of the shell too): the timeout stops the whole group.
        let hook = try Self.hook(in: daemon, marker: marker, extra: "sleep 300 & wait")
        try daemon.configure("sla: 1s\nalerts: {on_sla_miss: \(hook), timeout: 1s}")
        let pauses = daemon.root + "/markers"
        try FileManager.default.createDirectory(atPath: pauses, withIntermediateDirectories: true)
        try daemon.start(environment: ["INFERWATCHER_TEST_PAUSE_AT": "mid-predict:\(pauses)"])
        try daemon.drop("slow_job.csv", sampleCSV(rows: 3000))
        waitUntil(20, "the SLA hook") { Self.lines(marker).count == 1 }
        let line = try #require(Self.lines(marker).first)
        #expect(line[0] == "sla-miss" && line[3] == "slow_job.csv" && !line[2].isEmpty)
        #expect(line[5].contains("past its SLA of 1s"))
        waitUntil(10, "the hung hook to be stopped") { daemon.log.contains("was stopped after 1s, its timeout") }
        // Still one call, however long the job stays past its SLA.
        usleep(1_500_000)
        #expect(Self.lines(marker).count == 1)
        daemon.crash()  // the job is held at its pause point
    }

    /// Runs the real binary with `arguments`; returns its status and output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.binary)
        process.arguments = arguments
        let output = Pipe()
        process.standardError = output
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test("drift: a shifted file alerts once (journal record, on_drift hook, report.html); a file like the reference fires nothing")
    func drift() throws {
        let daemon = try DaemonHarness()
        let train = daemon.root + "/train.csv"
        try sampleCSV(rows: 20_000, seed: 11).write(toFile: train, atomically: true, encoding: .utf8)
        let reference = daemon.root + "/ref.json"
        let profiled = try Self.run(["profile", "--input", train, "--model", Repository.model, "--output", reference])
        #expect(profiled.status == 0, "\(profiled.output)")
        let marker = daemon.root + "/drift.txt"
        let hook = try Self.hook(in: daemon, marker: marker)
        let metrics = daemon.root + "/inferwatcher.prom"
        try daemon.configure(
            "drift: {reference: \(reference), warn_psi: 0.1, alert_psi: 0.25}\nalerts: {on_drift: \(hook)}",
            topLevel: "metrics: {textfile: \(metrics)}")
        let check = try Self.run(["check-config", "--config", daemon.configPath])
        #expect(check.status == 0 && check.output.contains("reference: \"\(reference)\""), "\(check.output)")
        try daemon.start()
        try daemon.drop("like_training.csv", sampleCSV(rows: 5000, seed: 12))
        waitUntil(20, "the first job") { daemon.archivedJobs().count == 1 }
        // Credit scores shifted up by 300: only that feature drifts.
        let shifted =
            sampleCSV(rows: 5000, seed: 13).split(separator: "\n").enumerated().map { line, text -> String in
                guard line > 0 else { return String(text) }
                var fields = text.split(separator: ",").map(String.init)
                fields[3] = String(Int(fields[3])! + 300)
                return fields.joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        try daemon.drop("shifted.csv", shifted)
        waitUntil(20, "the drift hook") { Self.lines(marker).count == 1 }
        let line = try #require(Self.lines(marker).first)
        #expect(line[0] == "drift" && line[1] == "default" && line[3] == "shifted.csv" && !line[2].isEmpty)
        #expect(line[5].hasPrefix("ALERT credit_score (PSI "), "\(line[5])")
        let folder = try #require(daemon.archivedJobs().first { $0.contains("shifted") })
        #expect(line[4] == folder)
        #expect(daemon.log.contains("drift above alert_psi 0.25"))
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(html.contains("credit_score") && html.contains("badge alert"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/report.json"))) as! [String: Any]
        #expect((json["drift"] as? [String: Any])?["alerted"] as? [String] == ["credit_score"])
        let calm = try #require(daemon.archivedJobs().first { $0.contains("like_training") })
        let calmJSON =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: calm + "/report.json"))) as! [String: Any]
        #expect((calmJSON["drift"] as? [String: Any])?["level"] as? String == "ok")
        // The metrics textfile has the last job's PSI per feature.
        waitUntil(10, "the drift gauges in the metrics textfile") {
            ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").contains(
                "inferwatcher_drift_psi{pipeline=\"default\",feature=\"credit_score\"}")
        }
        // status shows the drift of the last jobs; history reads it back from the archive.
        let status = try Self.run(["status", "--config", daemon.configPath])
        #expect(status.status == 0 && status.output.contains("DRIFT: credit_score"), "\(status.output)")
        #expect(daemon.stop() == 0)
        #expect(Self.lines(marker).count == 1, "one call for the one drifted job")
        let history = try Self.run(["history", "--config", daemon.configPath, "--json"])
        #expect(history.status == 0, "\(history.output)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(history.output.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["input"] as? String } == ["like_training.csv", "shifted.csv"])
        #expect(entries.map { $0["drift_alerts"] as? [String] } == [[], ["credit_score"]])
        #expect((entries[1]["max_psi"] as? Double ?? 0) > 0.25 && (entries[0]["max_psi"] as? Double ?? 1) < 0.1)
        #expect(entries[1]["folder"] as? String == folder && entries[1]["rows"] as? Int == 5000)
        let table = try Self.run(["history", "--config", daemon.configPath, "--pipeline", "default"])
        #expect(table.output.contains("shifted.csv") && table.output.contains("DRIFT: credit_score"), "\(table.output)")
        let later = try Self.run(["history", "--config", daemon.configPath, "--since", "2999-01-01"])
        #expect(later.status == 0 && later.output.contains("(no archived jobs)"), "\(later.output)")
        let misspelt = try Self.run(["history", "--config", daemon.configPath, "--since", "05/12/2026"])
        #expect(misspelt.status == 2 && misspelt.output.contains("--since must be a day written YYYY-MM-DD"), "\(misspelt.output)")
    }

    @Test("alerts: on_drift without drift: is refused by check-config, naming the key")
    func configuration() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("alerts: {on_drift: /bin/true}")
        let check = try Self.run(["check-config", "--config", daemon.configPath])
        #expect(check.status != 0)
        #expect(check.output.contains("alerts.on_drift") && check.output.contains("on_drift needs drift"), "\(check.output)")
    }
}
