import Foundation
import Testing

/// Calendar schedules, run-now and a full archive disk, through the real daemon.
@Suite("Daemon: schedules and failures", .serialized)
struct ScheduleIntegrationTests {
    /// `*-*-* HH:MM:SS` for local time `seconds` from now.
    static func calendar(secondsFromNow seconds: Int) -> String {
        var when = time(nil) + seconds
        var parts = tm()
        localtime_r(&when, &parts)
        func pad(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "*-*-* \(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))"
    }

    @Test("with a calendar schedule a few seconds ahead, files wait in incoming/, then run")
    func calendarAhead() throws {
        // Every 10 seconds; start just after a boundary so the next one is 8–9 s away.
        waitUntil(12, "a fresh 10-second period") { Int(Date().timeIntervalSince1970) % 10 == 1 }
        let daemon = try DaemonHarness()
        try daemon.configure("schedule: \"*:*:0/10\"")
        try daemon.start()
        try daemon.drop("scheduled.csv", sampleCSV(rows: 50))
        let boundary = (Date().timeIntervalSince1970 / 10).rounded(.up) * 10
        // Well before the elapse: still waiting, untouched (settle passed long ago).
        while Date().timeIntervalSince1970 < boundary - 0.7 {
            #expect(daemon.files(in: daemon.incoming) == ["scheduled.csv"])
            #expect(daemon.archivedJobs().isEmpty)
            usleep(100_000)
        }
        waitUntil(25, "the scheduled run") { daemon.archivedJobs().count == 1 }
        #expect(Date().timeIntervalSince1970 >= boundary)
        daemon.stop()
    }

    @Test("run-now runs waiting files at once, whatever the schedule")
    func runNow() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("schedule: \"\(Self.calendar(secondsFromNow: 12 * 3600))\"")
        try daemon.start()
        try daemon.drop("waiting.csv", sampleCSV(rows: 50))
        usleep(1_200_000)  // settle (300 ms) has long passed
        #expect(daemon.archivedJobs().isEmpty)
        let runNow = Process()
        runNow.executableURL = URL(fileURLWithPath: Repository.binary)
        runNow.arguments = ["run-now", "--config", daemon.configPath, "default"]
        try runNow.run()
        runNow.waitUntilExit()
        #expect(runNow.terminationStatus == 0)
        waitUntil(15, "the run-now job") { daemon.archivedJobs().count == 1 }
        // SIGUSR1 does the same for every pipeline.
        try daemon.drop("second.csv", sampleCSV(rows: 50, seed: 2))
        usleep(800_000)
        #expect(daemon.archivedJobs().count == 1)
        daemon.signal(SIGUSR1)
        waitUntil(15, "the SIGUSR1 job") { daemon.archivedJobs().count == 2 }
        daemon.stop()
    }

    @Test("an archive on a full file system (ENOSPC) is retried, then the input is quarantined with the reason")
    func noSpace() throws {
        let mountPoint = NSTemporaryDirectory() + "iw-full-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "mounting a tmpfs needs root (CI runs as root)")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint]
            try? umount.run()
            umount.waitUntilExit()
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        let daemon = try DaemonHarness(archive: mountPoint + "/archive")
        try daemon.configure("compression: none")
        try daemon.start()
        let text = sampleCSV(rows: 3000)
        try daemon.drop("big.csv", text)
        waitUntil(30, "the input to be quarantined") { daemon.files(in: daemon.failed).count == 3 }
        let reason = try String(contentsOfFile: daemon.failed + "/big.csv.error.txt", encoding: .utf8)
        #expect(reason.contains("gave up after 2 attempts"))
        #expect(reason.contains("No space left on device"))
        #expect(try String(contentsOfFile: daemon.failed + "/big.csv", encoding: .utf8) == text)
        #expect(daemon.log.components(separatedBy: "retrying in").count == 2)
        #expect(daemon.archivedJobs().isEmpty)
        daemon.stop()
    }
}
