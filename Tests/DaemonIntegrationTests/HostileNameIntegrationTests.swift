import Foundation
import Testing

/// Every legal name is processed or quarantined, never stuck (issue 15): names up to NAME_MAX,
/// spaces, newlines, leading dashes and bytes that are not UTF-8; entries that are not files; files
/// the daemon may not read or move.
@Suite("Daemon: hostile names", .serialized)
struct HostileNameIntegrationTests {
    /// Names that must all be archived, as bytes.
    static let names: [[UInt8]] = [
        Array((String(repeating: "n", count: 240) + ".csv").utf8),  // 244 bytes: `<arrival>~<name>` would not fit
        Array((String(repeating: "m", count: 251) + ".csv").utf8),  // 255 bytes: NAME_MAX
        Array("with space.csv".utf8),
        Array("new\nline.csv".utf8),
        Array("-leading-dash.csv".utf8),
        Array("caf".utf8) + [0xE9] + Array(".csv".utf8),  // Latin-1, not UTF-8
        Array(repeating: 0xFF, count: 246) + Array(".csv".utf8),  // not UTF-8 and 250 bytes
    ]

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test("names up to NAME_MAX, with spaces, newlines, leading dashes or bytes that are not UTF-8 are archived under their own name")
    func archived() throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        try daemon.start()
        for (index, name) in Self.names.enumerated() { try daemon.drop(bytes: name, sampleCSV(rows: 10, seed: index)) }
        waitUntil(30, "every input to be archived") {
            daemon.archivedJobs().count == Self.names.count
                && daemon.entries(in: daemon.processing).allSatisfy { $0.first == UInt8(ascii: ".") }
        }
        #expect(daemon.entries(in: daemon.incoming).isEmpty)
        #expect(daemon.files(in: daemon.failed).isEmpty)
        var recovered: [[UInt8]] = []
        for folder in daemon.archivedJobs() {
            #expect(URL(fileURLWithPath: folder).lastPathComponent.utf8.count <= 255)
            #expect(!folder.contains("\n"), "a control character in an archive folder name")
            let input = try #require(try Self.json(folder + "/manifest.json")["input"] as? [String: Any])
            let name = try #require(input["name"] as? String)
            if let hex = input["name_hex"] as? String {
                let bytes = try #require(Self.names.first { Self.hex($0) == hex }, "name_hex \(hex) is no input's")
                #expect(name == String(decoding: bytes, as: UTF8.self), "name is the text with U+FFFD")
                recovered.append(bytes)
            } else {
                #expect(input["name_hex"] is NSNull)
                recovered.append(Array(name.utf8))
            }
        }
        #expect(Set(recovered) == Set(Self.names))
        #expect(daemon.stop() == 0)
        #expect(!daemon.log.contains("too long"))
        // The newline in a name must not start a log line of its own.
        #expect(daemon.log.contains("claimed new\\x0Aline.csv"))
    }

    @Test("bad inputs with long or non-UTF-8 names are quarantined under names that fit; the error files name the original")
    func quarantined() throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        try daemon.start()
        let long = Self.names[1]
        let latin1 = Self.names[6]
        try daemon.drop(bytes: long, sampleCSV(rows: 20, badLine: 5))
        try daemon.drop(bytes: latin1, sampleCSV(rows: 20, seed: 2, badLine: 5))
        waitUntil(30, "both to be quarantined") { daemon.files(in: daemon.failed).count == 6 }
        try daemon.drop(bytes: long, sampleCSV(rows: 20, seed: 3, badLine: 5))
        waitUntil(30, "the second one of the same name to be quarantined") { daemon.files(in: daemon.failed).count == 9 }
        let failed = daemon.entries(in: daemon.failed).map { String(decoding: $0, as: UTF8.self) }
        #expect(failed.allSatisfy { $0.utf8.count <= 255 && String(validating: Array($0.utf8), as: UTF8.self) != nil })
        let reports = failed.filter { $0.hasSuffix(".error.json") }
        #expect(reports.count == 3)
        var originals: [[UInt8]] = []
        for report in reports {
            let json = try Self.json(daemon.failed + "/" + report)
            let input = try #require(json["input"] as? String)
            let original =
                (json["input_hex"] as? String).flatMap { hex in [long, latin1].first { Self.hex($0) == hex } } ?? Array(input.utf8)
            originals.append(original)
            // The quarantined input is beside its reason files, and keeps the extension.
            let stored = String(report.dropLast(".error.json".count))
            #expect(failed.contains(stored) && failed.contains(stored + ".error.txt"))
            #expect(stored.hasSuffix(".csv") || stored.hasSuffix(".csv.2"))
            let text = try String(contentsOfFile: daemon.failed + "/" + stored + ".error.txt", encoding: .utf8)
            #expect(text.contains(":5:4: column 'credit_score'"))
        }
        #expect(originals.sorted { $0.count < $1.count } == [latin1, long, long])
        #expect(daemon.stop() == 0)
    }

    @Test("a folder, a socket and a FIFO in incoming/ are warned about once each and left alone")
    func notFiles() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("rescan: 1s")
        try daemon.start()
        try FileManager.default.createDirectory(atPath: daemon.incoming + "/folder.csv", withIntermediateDirectories: false)
        #expect(mknod(daemon.incoming + "/socket.csv", S_IFSOCK | 0o644, 0) == 0)
        #expect(mkfifo(daemon.incoming + "/fifo.csv", 0o644) == 0)
        waitUntil(20, "the three warnings") {
            [
                "folder.csv in incoming/: not a regular file (directory)", "socket.csv in incoming/: not a regular file (socket)",
                "fifo.csv in incoming/: not a regular file (fifo)",
            ].allSatisfy(daemon.log.contains)
        }
        // A real file as a marker after a rescan or two: the others had their chances to be warned about again.
        try daemon.drop("marker.csv", sampleCSV(rows: 10))
        waitUntil(20, "the marker to be archived") { daemon.archivedJobs().count == 1 }
        #expect(daemon.files(in: daemon.incoming) == ["fifo.csv", "folder.csv", "socket.csv"])
        // Another FIFO under the same name is another inode: warned about again.
        #expect(mkfifo(daemon.root + "/fifo2", 0o644) == 0)
        #expect(rename(daemon.root + "/fifo2", daemon.incoming + "/fifo.csv") == 0)
        waitUntil(20, "the new FIFO's warning") { daemon.log.components(separatedBy: "ignoring fifo.csv").count == 3 }
        #expect(daemon.stop() == 0)
        for name in ["folder.csv", "socket.csv"] {
            #expect(daemon.log.components(separatedBy: "ignoring \(name)").count == 2, "\(name) warned more than once")
        }
    }

    @Test("a file the daemon may not read is quarantined at once with the reason")
    func unreadable() throws {
        let daemon = try DaemonHarness(unprivileged: true)
        try daemon.configure()
        try daemon.start()
        try daemon.drop(bytes: Array("secret.csv".utf8), sampleCSV(rows: 10), mode: 0o000)
        waitUntil(20, "secret.csv to be quarantined") { daemon.files(in: daemon.failed).count == 3 }
        let json = try Self.json(daemon.failed + "/secret.csv.error.json")
        let reason = try #require(json["reason"] as? String)
        #expect(reason.hasPrefix("cannot read secret.csv: Permission denied (errno 13)"), "\(reason)")
        #expect(json["attempts"] as? Int == 1)
        #expect(daemon.stop() == 0)
    }

    @Test("a file the daemon may not move stays in incoming/ with one warning, and is taken once it can be")
    func unmovable() throws {
        let daemon = try DaemonHarness(unprivileged: true)
        try daemon.configure("rescan: 1s")
        try FileManager.default.createDirectory(atPath: daemon.incoming, withIntermediateDirectories: true)
        try sampleCSV(rows: 10).write(toFile: daemon.incoming + "/stuck.csv", atomically: false, encoding: .utf8)
        #expect(chmod(daemon.incoming, 0o555) == 0)  // the daemon's user may list it, not rename in it
        try daemon.start()
        waitUntil(20, "the warning") { daemon.log.contains("cannot claim stuck.csv: Permission denied") }
        #expect(daemon.files(in: daemon.incoming) == ["stuck.csv"])
        #expect(chmod(daemon.incoming, 0o755) == 0)
        waitUntil(20, "stuck.csv to be archived at a rescan") { daemon.archivedJobs().count == 1 }
        #expect(daemon.stop() == 0)
        #expect(daemon.log.components(separatedBy: "cannot claim stuck.csv").count == 2, "warned more than once")
    }

    @Test("kill -9 while a renamed claim runs: the restart still knows the original name")
    func renamedClaimSurvivesCrash() throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        let markers = daemon.root + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        try daemon.start(environment: ["INFERWATCHER_TEST_PAUSE_AT": "mid-predict:\(markers)"])
        let name = Self.names[6]
        try daemon.drop(bytes: name, sampleCSV(rows: 3000))
        waitUntil(20, "the job to reach mid-predict") { !daemon.files(in: markers).isEmpty }
        daemon.crash()
        let claimed = daemon.files(in: daemon.processing).filter { !$0.hasPrefix(".") }
        #expect(claimed.count == 1 && claimed.allSatisfy { $0.utf8.count <= 255 })
        #expect(daemon.files(in: daemon.processing + "/.names") == claimed, "the original name is kept beside the claim")
        try daemon.start()
        // The claim goes first, then its name beside it: wait for both.
        waitUntil(20, "the recovered job to be archived and its claim and name cleaned up") {
            daemon.archivedJobs().count == 1 && daemon.files(in: daemon.processing).filter { !$0.hasPrefix(".") }.isEmpty
                && daemon.files(in: daemon.processing + "/.names").isEmpty
        }
        let folder = try #require(daemon.archivedJobs().first)
        let input = try #require(try Self.json(folder + "/manifest.json")["input"] as? [String: Any])
        #expect(input["name_hex"] as? String == Self.hex(name))
        #expect(daemon.files(in: daemon.processing + "/.names").isEmpty)
        #expect(daemon.stop() == 0)
    }
}
