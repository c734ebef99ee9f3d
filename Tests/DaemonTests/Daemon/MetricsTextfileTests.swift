import Files
import Foundation
import Logging
import Testing

@testable import InferWatcherDaemon

/// The Prometheus textfile: names, HELP and TYPE lines, escaping, buckets, drift gauges, atomic
/// writes with mode 0644, warnings once per error, and `promtool check metrics` accepting it.
@Suite("Metrics textfile")
struct MetricsTextfileTests {
    /// Metrics with one job of every kind recorded for pipeline `churn`.
    static func sample(logger: CapturedLog = CapturedLog(), path: String = "/nonexistent/inferwatcher.prom") -> MetricsTextfile {
        let metrics = MetricsTextfile(path: path, version: "0.1.0", logger: logger.logger())
        metrics.addPipeline("churn")
        metrics.addPipeline("fraud")
        metrics.recordArchived(
            pipeline: "churn", predicted: 990, rejected: 10, duration: .milliseconds(3200), at: UnixInstant(unixSeconds: 1_796_000_000))
        metrics.recordArchived(
            pipeline: "churn", predicted: 500, rejected: 0, duration: .milliseconds(400), at: UnixInstant(unixSeconds: 1_796_000_100.5))
        metrics.recordQuarantine(pipeline: "churn", duration: .seconds(90))
        metrics.setQueueDepth(pipeline: "churn", 4)
        metrics.recordDrift(pipeline: "churn", psi: [(feature: "age", psi: 0.02), (feature: "income", psi: 0.31)])
        return metrics
    }

    static func lines(_ metrics: MetricsTextfile) -> [String] {
        String(decoding: metrics.emit(), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test("every family has its HELP and TYPE lines, conventional names and units, in name order")
    func families() throws {
        let lines = Self.lines(Self.sample())
        let families: [(String, String)] = [
            ("inferwatcher_build_info", "gauge"),
            ("inferwatcher_drift_psi", "gauge"),
            ("inferwatcher_files_quarantined_total", "counter"),
            ("inferwatcher_job_duration_seconds", "histogram"),
            ("inferwatcher_last_success_timestamp_seconds", "gauge"),
            ("inferwatcher_queue_depth", "gauge"),
            ("inferwatcher_rows_total", "counter"),
        ]
        let headers = lines.filter { $0.hasPrefix("# TYPE ") }
        #expect(headers == families.map { "# TYPE \($0.0) \($0.1)" })
        for (name, _) in families {
            let help = try #require(lines.firstIndex { $0.hasPrefix("# HELP \(name) ") }, "\(name)")
            #expect(lines[help + 1].hasPrefix("# TYPE \(name) "), "HELP right before TYPE")
            #expect(lines[help].count > "# HELP \(name) ".count + 10, "a real help text: \(lines[help])")
        }
        for line in lines where !line.hasPrefix("#") {
            #expect(families.contains { line.hasPrefix($0.0) }, "\(line)")
        }
    }

    @Test("the samples: rows by outcome, quarantines, queue depth, last success, drift, build info")
    func samples() {
        let lines = Set(Self.lines(Self.sample()))
        for expected in [
            #"inferwatcher_rows_total{pipeline="churn",outcome="predicted"} 1490"#,
            #"inferwatcher_rows_total{pipeline="churn",outcome="rejected"} 10"#,
            // A pipeline without jobs yet has its counters at zero, so rate() sees the first increase.
            #"inferwatcher_rows_total{pipeline="fraud",outcome="predicted"} 0"#,
            #"inferwatcher_rows_total{pipeline="fraud",outcome="rejected"} 0"#,
            #"inferwatcher_files_quarantined_total{pipeline="churn"} 1"#,
            #"inferwatcher_files_quarantined_total{pipeline="fraud"} 0"#,
            #"inferwatcher_queue_depth{pipeline="churn"} 4.0"#,
            #"inferwatcher_queue_depth{pipeline="fraud"} 0.0"#,
            #"inferwatcher_last_success_timestamp_seconds{pipeline="churn"} 1796000100.5"#,
            #"inferwatcher_drift_psi{pipeline="churn",feature="age"} 0.02"#,
            #"inferwatcher_drift_psi{pipeline="churn",feature="income"} 0.31"#,
            #"inferwatcher_build_info{version="0.1.0"} 1.0"#,
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
        // No success yet: no timestamp (rather than a misleading 0).
        #expect(!lines.contains { $0.hasPrefix(#"inferwatcher_last_success_timestamp_seconds{pipeline="fraud"}"#) })
    }

    @Test("the job duration histogram: buckets in seconds, cumulative, then +Inf, _sum and _count")
    func histogram() throws {
        let lines = Self.lines(Self.sample())
        let churn = lines.filter { $0.hasPrefix(#"inferwatcher_job_duration_seconds"#) && $0.contains(#"pipeline="churn""#) }
        #expect(
            churn == [
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="0.1"} 0"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="0.5"} 1"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="1.0"} 1"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="2.5"} 1"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="5.0"} 2"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="10.0"} 2"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="30.0"} 2"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="60.0"} 2"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="120.0"} 3"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="300.0"} 3"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="600.0"} 3"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="1800.0"} 3"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="3600.0"} 3"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="7200.0"} 3"#,
                #"inferwatcher_job_duration_seconds_bucket{pipeline="churn",le="+Inf"} 3"#,
                #"inferwatcher_job_duration_seconds_sum{pipeline="churn"} 93.6"#,
                #"inferwatcher_job_duration_seconds_count{pipeline="churn"} 3"#,
            ])
        // The other pipeline's series follow, whole: the ordering never interleaves two series.
        let fraud = try #require(lines.firstIndex { $0.contains(#"inferwatcher_job_duration_seconds_bucket{pipeline="fraud""#) })
        #expect(lines[fraud - 1] == #"inferwatcher_job_duration_seconds_count{pipeline="churn"} 3"#)
        #expect(lines[fraud + 16] == #"inferwatcher_job_duration_seconds_count{pipeline="fraud"} 0"#)
    }

    @Test("label values are escaped: quotes, backslashes and newlines in feature (and pipeline) names")
    func escaping() {
        let metrics = MetricsTextfile(path: "/nonexistent/x.prom", version: "0.1.0", logger: CapturedLog().logger())
        metrics.recordDrift(
            pipeline: #"odd "pipe"\name"#,
            psi: [(feature: "say \"hi\"\nC:\\temp", psi: 0.5), (feature: "prix €, ünits", psi: 0.25), (feature: "", psi: 0.125)])
        let lines = Set(Self.lines(metrics))
        #expect(lines.contains(#"inferwatcher_drift_psi{pipeline="odd \"pipe\"\\name",feature="say \"hi\"\nC:\\temp"} 0.5"#))
        #expect(lines.contains(#"inferwatcher_drift_psi{pipeline="odd \"pipe\"\\name",feature="prix €, ünits"} 0.25"#))
        #expect(lines.contains(#"inferwatcher_drift_psi{pipeline="odd \"pipe\"\\name",feature=""} 0.125"#))
        #expect(lines.contains(#"inferwatcher_rows_total{pipeline="odd \"pipe\"\\name",outcome="predicted"} 0"#))
    }

    @Test("recordDrift replaces the pipeline's values: features left out, repeated or not finite lose their series")
    func driftReplaces() {
        let metrics = Self.sample()
        metrics.recordDrift(pipeline: "fraud", psi: [(feature: "amount", psi: 0.05)])
        metrics.recordDrift(
            pipeline: "churn",
            psi: [
                (feature: "income", psi: 0.12), (feature: "tenure", psi: .nan), (feature: "region", psi: .infinity),
                (feature: "income", psi: 9),
            ])
        var drift = Self.lines(metrics).filter { $0.hasPrefix("inferwatcher_drift_psi{") }
        #expect(
            drift == [
                #"inferwatcher_drift_psi{pipeline="churn",feature="income"} 0.12"#,
                #"inferwatcher_drift_psi{pipeline="fraud",feature="amount"} 0.05"#,
            ])
        // Nothing measured: the family goes once no pipeline has a value.
        metrics.recordDrift(pipeline: "churn", psi: [])
        metrics.recordDrift(pipeline: "fraud", psi: [])
        drift = Self.lines(metrics).filter { $0.contains("inferwatcher_drift_psi") }
        #expect(drift.isEmpty)
    }

    @Test("write: atomic, mode 0644, no temporary file left; a missing folder is warned about once, then written")
    func write() throws {
        let root = NSTemporaryDirectory() + "iw-metrics-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/node-exporter"
        let path = folder + "/inferwatcher.prom"
        let log = CapturedLog()
        let metrics = Self.sample(logger: log, path: path)
        metrics.write()
        metrics.write()
        #expect(log.count("the folder \(folder) does not exist (is prometheus-node-exporter installed?") == 1)
        #expect(log.all.filter { $0.level == .warning }.count == 1, "once per distinct error, not every write")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        metrics.write()
        #expect(log.count("metrics textfile written again") == 1)
        #expect(try FileContents.read(path) == metrics.emit())
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["inferwatcher.prom"])
        // A new error is a new warning.
        try FileManager.default.removeItem(atPath: folder)
        try "not a folder".write(toFile: folder, atomically: false, encoding: .utf8)
        metrics.write()
        #expect(log.all.filter { $0.level == .warning }.count == 2)
    }

    @Test("promtool check metrics accepts the file (scripts/setup.sh installs promtool: missing, this fails)")
    func promtoolAccepts() throws {
        let metrics = Self.sample()
        metrics.recordDrift(pipeline: "churn", psi: [(feature: "say \"hi\"\nC:\\temp", psi: 0.5)])
        let (status, output) = try Promtool.checkMetrics(metrics.emit())
        #expect(status == 0 && output.isEmpty, "promtool check metrics: exit \(status): \(output)")
        // And it is a real check: it rejects what it should.
        let (badStatus, badOutput) = try Promtool.checkMetrics(Array("# TYPE x gauge\nx 1\n".utf8))
        #expect(badStatus != 0 && badOutput.contains("no help text"), "\(badStatus): \(badOutput)")
    }
}

/// Runs Debian's `promtool` (package prometheus), found on PATH.
enum Promtool {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "promtool is not on PATH: install Debian's prometheus package (scripts/setup.sh does); this test does not skip"
        }
    }

    /// `promtool check metrics` on `exposition` (its standard input): the exit status and what it printed.
    static func checkMetrics(_ exposition: [UInt8]) throws -> (status: Int32, output: String) {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { throw Missing() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(exposition))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
