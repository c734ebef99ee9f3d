import Foundation
import Testing

@testable import InferWatcherDaemon

/// The daemon on a test clock, in this process: settle, schedules, retries with backoff, attempts
/// across a restart, SLA, stop timeout and reload, each in milliseconds of real time.
@Suite("Daemon in-process, on a test clock")
struct DaemonClockTests {
    @Test("a file is claimed once it has been still for the settle time, not before")
    func settle() async throws {
        let daemon = try InProcessDaemon()
        try daemon.configure()
        try await daemon.start()
        try await daemon.drop("a.csv")
        await daemon.advance(by: .milliseconds(1999))
        #expect(daemon.files(in: daemon.incoming()) == ["a.csv"])
        #expect(daemon.archivedJobs().isEmpty)
        await daemon.advance(by: .milliseconds(1))
        await eventually("the job to be archived") { daemon.finishedJobs().map(\.outcome) == [.archived] }
        #expect(daemon.archivedJobs().count == 1)
        #expect(daemon.files(in: daemon.incoming()).isEmpty)
        #expect(daemon.files(in: daemon.processing()).isEmpty)
        try await daemon.stop()

        // status.json reads back as the document the board wrote.
        let data = try Data(contentsOf: URL(fileURLWithPath: daemon.state + "/status.json"))
        let status = try JSONDecoder().decode(StatusDocument.self, from: data)
        #expect(status.phase == .stopped)
        #expect(status.pid == Int(getpid()))
        let pipeline = try #require(status.pipelines["default"])
        #expect(pipeline.running.isEmpty)
        #expect(pipeline.recent.map(\.input) == ["a.csv"])
        #expect(pipeline.recent.first?.outcome == .archived)
        #expect(pipeline.recent.first?.rows == 20)
        #expect(pipeline.recent.first?.location == daemon.archivedJobs().first)
    }

    @Test("a calendar schedule claims settled files at its elapse, and run-now before it")
    func calendarSchedule() async throws {
        // 2026-12-04 01:58:00 UTC; the schedule elapses at 02:00:00 UTC.
        let daemon = try InProcessDaemon(start: UnixInstant(unixSeconds: 1_796_349_480))
        try daemon.configure(pipelines: ["default": "schedule: \"*-*-* 02:00:00 UTC\""])
        try await daemon.start()
        await eventually("the first turn to compute the next elapse") {
            abs((daemon.daemon?.status.snapshot(of: "default")?.nextRun ?? 0) - 1_796_349_600) < 0.001
        }
        try await daemon.drop("nightly.csv")
        await daemon.advance(by: .seconds(10))  // settled long ago
        await daemon.advance(by: .seconds(109))  // 01:59:59
        #expect(daemon.files(in: daemon.incoming()) == ["nightly.csv"])
        await daemon.advance(by: .seconds(1))  // 02:00:00
        await eventually("the scheduled job") { daemon.finishedJobs().count == 1 }
        #expect(abs((daemon.daemon?.status.snapshot(of: "default")?.nextRun ?? 0) - 1_796_436_000) < 0.001)

        try await daemon.drop("early.csv")
        await daemon.advance(by: .seconds(3))
        #expect(daemon.files(in: daemon.incoming()) == ["early.csv"])
        daemon.daemon?.runNow()
        await eventually("the run-now job") { daemon.finishedJobs().count == 2 }
        #expect(daemon.archivedJobs().count == 2)
        try await daemon.stop()
    }

    @Test("a transient failure is retried with exponential backoff, attempts tries in all, then quarantined")
    func retryWithBackoff() async throws {
        let daemon = try InProcessDaemon()
        // A model that is not there (yet) is a transient failure: it may be deployed in time.
        try daemon.configure(pipelines: [
            "default": "model: /nonexistent/model.onnx\nretries: {attempts: 3, initial_backoff: 10s, max_backoff: 15s}"
        ])
        try await daemon.start()
        try await daemon.drop("a.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("attempt 1 to fail") { daemon.log.count("job attempt 1 of 3 failed, retrying in 10s") == 1 }
        await daemon.advance(by: .milliseconds(9999))
        #expect(daemon.log.count(.jobStarted) == 1)
        await daemon.advance(by: .milliseconds(1))
        await eventually("attempt 2 to fail") { daemon.log.count("job attempt 2 of 3 failed, retrying in 15s") == 1 }
        await daemon.advance(by: .seconds(15))
        await eventually("the input to be quarantined") { daemon.finishedJobs().map(\.outcome) == [.quarantined] }
        #expect(daemon.files(in: daemon.failed()) == ["a.csv", "a.csv.error.json", "a.csv.error.txt"])
        #expect(daemon.log.count(.jobStarted) == 3)
        #expect(daemon.log.count(.jobFailed) == 2)
        #expect(daemon.log.count(.jobQuarantined) == 1)
        let reason = try String(contentsOfFile: daemon.failed() + "/a.csv.error.txt", encoding: .utf8)
        #expect(reason.hasPrefix("gave up after 3 attempts: "))
        let data = try Data(contentsOf: URL(fileURLWithPath: daemon.failed() + "/a.csv.error.json"))
        let report = try JSONDecoder().decode(FailureReport.self, from: data)
        #expect(report.attempts == 3)
        #expect(report.input == "a.csv")
        #expect(report.reason == String(reason.dropLast()))
        #expect(report.line == nil && report.rule == nil)
        #expect(String(decoding: data, as: UTF8.self).contains("\"line\": null"))
        #expect(daemon.files(in: daemon.processing() + "/.attempts").isEmpty)
        try await daemon.stop()
    }

    @Test("attempts survive a restart: a file that failed before gets only the attempts left")
    func attemptsSurviveRestart() async throws {
        let daemon = try InProcessDaemon()
        try daemon.configure(pipelines: [
            "default": "model: /nonexistent/model.onnx\nretries: {attempts: 3, initial_backoff: 10s, max_backoff: 10s}"
        ])
        try await daemon.start()
        try await daemon.drop("a.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("attempt 1 to fail") { daemon.log.count("job attempt 1 of 3 failed") == 1 }
        await daemon.advance(by: .seconds(10))
        await eventually("attempt 2 to fail") { daemon.log.count("job attempt 2 of 3 failed") == 1 }
        try await daemon.stop()
        #expect(daemon.files(in: daemon.processing()).count == 1)

        try await daemon.start()  // a new Daemon on the same folders
        await eventually("the input to be quarantined") { daemon.finishedJobs().map(\.outcome) == [.quarantined] }
        #expect(daemon.files(in: daemon.failed()) == ["a.csv", "a.csv.error.json", "a.csv.error.txt"])
        #expect(daemon.log.count(.jobStarted) == 3)
        let reason = try String(contentsOfFile: daemon.failed() + "/a.csv.error.txt", encoding: .utf8)
        #expect(reason.hasPrefix("gave up after 3 attempts: "))
        try await daemon.stop()
    }

    @Test("a job running past its SLA is reported once, at the SLA")
    func slaMissed() async throws {
        let daemon = try InProcessDaemon(holdJobs: true)
        try daemon.configure(pipelines: ["default": "sla: 1h"])
        try await daemon.start()
        try await daemon.drop("slow.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("the job to start") { daemon.gate?.waiting == ["slow.csv"] }
        await daemon.advance(by: .seconds(3599))
        #expect(daemon.log.count(.slaMissed) == 0)
        await daemon.advance(by: .seconds(1))
        await eventually("the SLA warning") { daemon.log.count(.slaMissed) == 1 }
        await daemon.advance(by: .seconds(7200))
        #expect(daemon.log.count(.slaMissed) == 1)
        let record = try #require(daemon.log.all.first { $0.metadata["iw.event"] == "sla-missed" })
        #expect(record.metadata["iw.input"] == "slow.csv")
        #expect(record.metadata["MESSAGE_ID"] == DaemonEvent.slaMissed.messageID)
        daemon.gate?.open()
        await eventually("the job to finish") { daemon.finishedJobs().map(\.outcome) == [.archived] }
        try await daemon.stop()
    }

    @Test("on stop, a running job gets stop_timeout to finish, then is abandoned and stays in processing/")
    func stopTimeout() async throws {
        let daemon = try InProcessDaemon(holdJobs: true)
        try daemon.configure(stopTimeout: "30s")
        try await daemon.start()
        try await daemon.drop("long.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("the job to start") { daemon.gate?.waiting == ["long.csv"] }
        let stopAt = daemon.clock.now
        let stopped = Task { try await daemon.stop() }
        await eventually("the stop timer to start") { daemon.clock.hasSleeper(until: stopAt + .seconds(30)) }
        daemon.clock.advance(by: .seconds(29))
        #expect(daemon.log.count("stop timeout reached") == 0)
        daemon.clock.advance(by: .seconds(1))
        await eventually("the abandonment") { daemon.log.count("stop timeout reached") == 1 }
        daemon.gate?.open()
        try await stopped.value
        #expect(daemon.log.count("job abandoned for shutdown") == 1)
        #expect(daemon.files(in: daemon.processing()).count == 1)
        #expect(daemon.archivedJobs().isEmpty)
    }

    @Test("a reload adds a pipeline, changes one for its next job and retires a removed one")
    func reload() async throws {
        let daemon = try InProcessDaemon()
        try daemon.configure(pipelines: ["default": "", "old": ""])
        try await daemon.start()
        #expect(daemon.daemon?.pipelines.map(\.name).sorted() == ["default", "old"])
        let old = try #require(daemon.daemon?.pipelines.first { $0.name == "old" })

        try daemon.configure(pipelines: ["default": "schedule: \"*-*-* 02:00:00 UTC\"", "new": ""])
        await daemon.daemon?.reload()
        #expect(daemon.daemon?.pipelines.map(\.name).sorted() == ["default", "new"])
        await eventually("the removed pipeline to stop") { old.isFinished }

        try await daemon.drop("b.csv", pipeline: "new")
        await daemon.advance(by: .seconds(2))
        await eventually("the new pipeline's job") { daemon.finishedJobs("new").map(\.outcome) == [.archived] }
        try await daemon.drop("c.csv")
        await daemon.advance(by: .seconds(2))
        #expect(daemon.files(in: daemon.incoming()) == ["c.csv"])  // now waits for 02:00
        try await daemon.stop()
    }
}

/// The daemon's own file operations failing under it, through an injected file system.
@Suite("Daemon in-process: file-system faults")
struct DaemonFaultTests {
    @Test("a claim that fails (EIO on the rename) leaves the file in incoming/, and the next rescan claims it")
    func claimFails() async throws {
        let daemon = try InProcessDaemon()
        try daemon.configure(pipelines: ["default": "rescan: 1min"])
        daemon.fileSystem.fail("move", whereTargetContains: "/processing/", errno: EIO)
        try await daemon.start()
        try await daemon.drop("a.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("the failed claim to be logged") { daemon.log.count("cannot claim a.csv") == 1 }
        #expect(daemon.files(in: daemon.incoming()) == ["a.csv"])
        await daemon.advance(by: .seconds(58))  // the rescan at 1 min finds it; then it settles again
        await daemon.advance(by: .seconds(2))
        await eventually("the job after the rescan") { daemon.finishedJobs().map(\.outcome) == [.archived] }
        try await daemon.stop()
    }

    @Test("a quarantine whose move fails is retried after the backoff, and the input is never lost")
    func quarantineMoveFails() async throws {
        let daemon = try InProcessDaemon()
        try daemon.configure(pipelines: ["default": "retries: {attempts: 3, initial_backoff: 10s, max_backoff: 10s}"])
        daemon.fileSystem.fail("move", whereTargetContains: "/failed/", errno: ENOSPC)
        try await daemon.start()
        try daemon.writeIncoming("bad.csv", InProcessDaemon.sampleCSV(rows: 5).replacingOccurrences(of: "\n3,", with: "\nx3,,"))
        await eventually("the pipeline to see bad.csv") { (daemon.daemon?.status.snapshot(of: "default")?.waiting ?? 0) >= 1 }
        await daemon.advance(by: .seconds(2))
        await eventually("the failed quarantine") { daemon.log.count("could not quarantine the input") == 1 }
        #expect(daemon.files(in: daemon.processing()).count == 1, "the input stays in processing/")
        #expect(daemon.files(in: daemon.failed()).isEmpty, "no reason files without their input")
        await daemon.advance(by: .seconds(10))
        await eventually("the quarantine on the retry") { daemon.finishedJobs().map(\.outcome) == [.quarantined] }
        #expect(daemon.files(in: daemon.failed()) == ["bad.csv", "bad.csv.error.json", "bad.csv.error.txt"])
        #expect(daemon.files(in: daemon.processing()).isEmpty)
        try await daemon.stop()
    }

    @Test("a failed attempt whose count cannot be recorded is still retried, and the warning says why")
    func attemptRecordFails() async throws {
        let daemon = try InProcessDaemon()
        try daemon.configure(pipelines: [
            "default": "model: /nonexistent/model.onnx\nretries: {attempts: 2, initial_backoff: 10s, max_backoff: 10s}"
        ])
        daemon.fileSystem.fail("write", whereTargetContains: "/.attempts/", errno: EROFS)
        try await daemon.start()
        try await daemon.drop("a.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("attempt 1 to fail") { daemon.log.count("job attempt 1 of 2 failed") == 1 }
        #expect(daemon.log.count("could not record the failed attempt") == 1)
        await daemon.advance(by: .seconds(10))
        await eventually("the input to be quarantined") { daemon.finishedJobs().map(\.outcome) == [.quarantined] }
        try await daemon.stop()
    }
}
