import Foundation
import Testing

@testable import InferWatcherDaemon

/// A file that cannot be claimed is warned about once per name and inode, however many rescans try.
@Suite("Daemon in-process: claims that keep failing")
struct ClaimWarningTests {
    @Test("a claim refused three times (EACCES) is warned about once, and the file is taken when it can be")
    func warnedOnce() async throws {
        let daemon = try InProcessDaemon()
        try daemon.configure(pipelines: ["default": "rescan: 1min"])
        daemon.fileSystem.fail("move", whereTargetContains: "/processing/", errno: EACCES, times: 3)
        try await daemon.start()
        try await daemon.drop("a.csv")
        await daemon.advance(by: .seconds(2))
        await eventually("the first failed claim") { daemon.log.count("cannot claim a.csv: Permission denied") == 1 }
        for rescan in 1...2 {
            await daemon.advance(by: .seconds(58))  // the rescan finds it again; it settles; the claim fails again
            await daemon.advance(by: .seconds(2))
            #expect(daemon.files(in: daemon.incoming()) == ["a.csv"], "rescan \(rescan)")
        }
        await daemon.advance(by: .seconds(58))
        await daemon.advance(by: .seconds(2))
        await eventually("the job once the claim works") { daemon.finishedJobs().map(\.outcome) == [.archived] }
        #expect(daemon.log.count("cannot claim a.csv") == 1)
        #expect(daemon.files(in: daemon.processing() + "/.names").isEmpty)
        try await daemon.stop()
    }
}
