import Files
import Foundation
import Testing

@testable import InferWatcherDaemon

/// The daemon writes its metrics textfile at start-up, after every job and every
/// `metrics.interval` on its clock.
@Suite("Daemon metrics textfile, on a test clock")
struct MetricsDaemonTests {
    @Test("a job's rows and last success reach the file; the timer refreshes the queue depth")
    func jobAndTimer() async throws {
        let daemon = try InProcessDaemon()
        let folder = daemon.root + "/node-exporter"
        let path = folder + "/inferwatcher.prom"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try daemon.configure(
            pipelines: ["default": "", "nightly": "schedule: \"*-*-* 02:00:00 UTC\""],
            topLevel: "metrics:\n  textfile: \(path)\n  interval: 15s\n")
        try await daemon.start()
        func text() -> String { (try? FileContents.text(path)) ?? "" }
        // At start-up: every pipeline's series, at zero.
        #expect(text().contains(#"inferwatcher_rows_total{pipeline="default",outcome="predicted"} 0"#))
        #expect(text().contains(#"inferwatcher_queue_depth{pipeline="nightly"} 0.0"#))
        #expect(text().contains(#"inferwatcher_build_info{version="\#(SoftwareVersion.current)"} 1.0"#))

        // A job: written when it ends.
        try await daemon.drop("a.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("the job's rows in the textfile") {
            text().contains(#"inferwatcher_rows_total{pipeline="default",outcome="predicted"} 20"#)
        }
        let finished = try #require(daemon.finishedJobs().first)
        #expect(text().contains(#"inferwatcher_last_success_timestamp_seconds{pipeline="default"} \#(finished.finishedAt)"#))
        #expect(text().contains(#"inferwatcher_job_duration_seconds_count{pipeline="default"} 1"#))
        #expect(text().contains(#"inferwatcher_rows_total{pipeline="default",outcome="rejected"} 0"#))

        // A file waiting for its schedule shows in the queue depth at the timer's next write.
        try await daemon.drop("later.csv", pipeline: "nightly")
        await daemon.advance(by: .seconds(3))
        #expect(text().contains(#"inferwatcher_queue_depth{pipeline="nightly"} 0.0"#), "no job ended: not written yet")
        await daemon.advance(by: .seconds(15))
        await eventually("the timer to write the queue depth") { text().contains(#"inferwatcher_queue_depth{pipeline="nightly"} 1.0"#) }

        // A quarantine.
        try daemon.writeIncoming("bad.csv", "user_id,age\n1,abc\n")
        await eventually("the pipeline to see bad.csv") { (daemon.daemon?.status.snapshot(of: "default")?.waiting ?? 0) >= 1 }
        await daemon.advance(by: .seconds(2))
        await eventually("the quarantine in the textfile") {
            text().contains(#"inferwatcher_files_quarantined_total{pipeline="default"} 1"#)
        }
        try await daemon.stop()
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o644)
        #expect(try Promtool.checkMetrics(FileContents.read(path)).status == 0)
    }

    @Test("a missing textfile folder is one warning and never fails a job")
    func missingFolder() async throws {
        let daemon = try InProcessDaemon()
        let path = daemon.root + "/no-node-exporter/inferwatcher.prom"
        try daemon.configure(topLevel: "metrics:\n  textfile: \(path)\n  interval: 1s\n")
        try await daemon.start()
        try await daemon.drop("a.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("the job to be archived") { daemon.finishedJobs().map(\.outcome) == [.archived] }
        for _ in 0..<5 { await daemon.advance(by: .seconds(1)) }
        try await daemon.stop()
        #expect(daemon.log.count("cannot write the metrics textfile \(path)") == 1)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
