import Foundation
import Testing

/// kill -9 at chosen points of a job, then restart: every file archived exactly once.
@Suite("Daemon: crash recovery", .serialized)
struct CrashRecoveryTests {
    @Test(
        "kill -9 mid-predict, after predict and after archive: archived exactly once",
        arguments: ["mid-predict", "after-predict", "after-archive"])
    func killNine(point: String) throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        let markers = daemon.root + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        try daemon.start(environment: ["INFERWATCHER_TEST_PAUSE_AT": "\(point):\(markers)"])
        try daemon.drop("crash.csv", sampleCSV(rows: 3000))
        waitUntil(20, "the job to reach \(point)") { !daemon.files(in: markers).isEmpty }
        daemon.crash()
        #expect(daemon.files(in: daemon.processing).count == 1, "the claimed file stays in processing/")
        try daemon.start()
        waitUntil(20, "the recovered job to be archived") {
            daemon.archivedJobs().count == 1 && daemon.files(in: daemon.processing).isEmpty
        }
        usleep(300_000)
        let jobs = daemon.archivedJobs()
        #expect(jobs.count == 1)
        let folder = try #require(jobs.first)
        #expect(
            daemon.files(in: folder) == ["input.csv.zst", "manifest.json", "predictions.csv", "report.html", "report.json", "report.txt"])
        let predictions = try String(contentsOfFile: folder + "/predictions.csv", encoding: .utf8)
        #expect(predictions.split(separator: "\n").count == 3001)
        // No staging or work leftovers anywhere in the archive.
        let date = URL(fileURLWithPath: folder).deletingLastPathComponent().path
        #expect(daemon.files(in: date).filter { $0.hasPrefix(".") }.isEmpty)
        #expect(daemon.files(in: daemon.archive + "/.work").isEmpty)
        #expect(daemon.stop() == 0)
    }

    @Test("a job past its SLA logs a warning once, and `inferwatcher status` shows it running")
    func slaAndStatus() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("sla: 1s")
        let markers = daemon.root + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        try daemon.start(environment: ["INFERWATCHER_TEST_PAUSE_AT": "mid-predict:\(markers)"])
        try daemon.drop("slow_job.csv", sampleCSV(rows: 3000))
        waitUntil(20, "the job to start") { !daemon.files(in: markers).isEmpty }
        waitUntil(10, "the SLA warning") { daemon.log.contains("past its SLA of 1s") }
        #expect(daemon.log.contains("iw.event=sla-missed"))
        let status = Process()
        status.executableURL = URL(fileURLWithPath: Repository.binary)
        status.arguments = ["status", "--config", daemon.configPath]
        let output = Pipe()
        status.standardOutput = output
        try status.run()
        status.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(status.terminationStatus == 0)
        #expect(text.contains("daemon: running"))
        #expect(text.contains("running: slow_job.csv (job "))
        usleep(1_500_000)
        #expect(daemon.log.components(separatedBy: "past its SLA").count == 2, "warned more than once")
        daemon.crash()
    }

    @Test("SIGTERM during a long job: clean exit, the file stays in processing/ and is redone on start")
    func stopDuringJob() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("compression: none", stopTimeout: "0s")
        try daemon.start()
        // A big input (about 55 MB) so the job is surely still running when the stop comes.
        let big = daemon.root + "/big.csv"
        let generator = Process()
        generator.executableURL = URL(fileURLWithPath: Repository.binary)
        generator.arguments = ["sample-data", "--rows", "1000000", "--output", big]
        try generator.run()
        generator.waitUntilExit()
        try FileManager.default.moveItem(atPath: big, toPath: daemon.incoming + "/big.csv")
        waitUntil(30, "the job to be running") {
            ((try? String(contentsOfFile: daemon.state + "/status.json", encoding: .utf8)) ?? "").contains("\"rows_read\": ")
        }
        #expect(daemon.stop() == 0)
        #expect(daemon.log.contains("abandoning running jobs"))
        #expect(daemon.archivedJobs().isEmpty)
        #expect(daemon.files(in: daemon.processing).count == 1)
        try daemon.configure("compression: none", stopTimeout: "30s")
        try daemon.start()
        waitUntil(120, "the job to be redone") { daemon.archivedJobs().count == 1 && daemon.files(in: daemon.processing).isEmpty }
        let folder = try #require(daemon.archivedJobs().first)
        let manifest = try String(contentsOfFile: folder + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"read\": 1000000"))
        #expect(daemon.stop() == 0)
    }
}
