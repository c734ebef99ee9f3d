import Foundation
import Testing

/// Polls `condition` every 20 ms until it holds or `seconds` pass; never sleeps and hopes.
@discardableResult
func waitUntil(_ seconds: Double, _ what: String = "condition", _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    let ok = try condition()
    if !ok { Issue.record("timed out after \(seconds)s waiting for \(what)") }
    return ok
}

/// Paths of the repository and the built binary.
enum Repository {
    static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/DaemonIntegrationTests/DaemonHarness.swift
        return parts.joined(separator: "/")
    }()

    static let binary: String = {
        if let explicit = ProcessInfo.processInfo.environment["INFERWATCHER_BIN"] { return explicit }
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("inferwatcher").path) {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("inferwatcher").path
    }()

    static let model = root + "/Tests/EngineTests/Fixtures/models/mlp_legacy.onnx"
}

/// A daemon under test: its own spool, archive and state folders, run as a subprocess.
final class DaemonHarness: @unchecked Sendable {
    let root: String
    var spool: String { root + "/spool" }
    var incoming: String { spool + "/incoming" }
    var processing: String { spool + "/processing" }
    var failed: String { spool + "/failed" }
    var archive: String
    var state: String { root + "/state" }
    var configPath: String { root + "/inferwatcher.yaml" }
    private(set) var process: Process?
    private var logHandle: FileHandle?
    var logPath: String { root + "/daemon.log" }
    /// Run the daemon as `nobody` when the tests run as root, so file modes bind it as they bind
    /// the unit's own user (root may read and rename anything).
    let unprivileged: Bool

    init(archive: String? = nil, unprivileged: Bool = false) throws {
        root = NSTemporaryDirectory() + "iw-daemon-" + UUID().uuidString.prefix(8)
        self.archive = archive ?? root + "/archive"
        self.unprivileged = unprivileged
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Writes the configuration: one pipeline `default` with fast settle and retries; `extra` holds
    /// `key: value` lines for the pipeline that replace or add to those defaults; `topLevel` lines
    /// go to the top level (`metrics: {...}`).
    func configure(_ extra: String = "", model: String = Repository.model, stopTimeout: String = "5s", topLevel: String = "") throws {
        var settings: [(String, String)] = [
            ("spool", spool), ("archive", archive), ("model", model), ("settle", "300ms"), ("compression", "zstd"),
            ("retries", "{attempts: 2, initial_backoff: 200ms, max_backoff: 400ms}"),
        ]
        for line in extra.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            if let index = settings.firstIndex(where: { $0.0 == key }) {
                settings[index].1 = value
            } else {
                settings.append((key, value))
            }
        }
        let yaml =
            "state_dir: \(state)\nstop_timeout: \(stopTimeout)\n" + (topLevel.isEmpty ? "" : topLevel + "\n") + "pipelines:\n  default:\n"
            + settings.map { "    \($0.0): \($0.1)\n" }.joined()
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `inferwatcher serve` and waits until it says it is ready.
    func start(environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.binary)
        process.arguments = ["serve", "--config", configPath]
        if unprivileged && geteuid() == 0 {
            // The daemon's folders become nobody's; the test (root) can still put anything in them.
            let chown = Process()
            chown.executableURL = URL(fileURLWithPath: "/bin/chown")
            chown.arguments = ["-R", "65534:65534", root]
            try chown.run()
            chown.waitUntilExit()
            #expect(chown.terminationStatus == 0)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--", Repository.binary] + process.arguments!
        }
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        handle.seekToEndOfFile()
        process.standardError = handle
        process.standardOutput = handle
        let readyCount = log.components(separatedBy: "ready:").count
        try process.run()
        self.process = process
        logHandle = handle
        waitUntil(20, "the daemon to be ready") { log.components(separatedBy: "ready:").count > readyCount || !process.isRunning }
        #expect(process.isRunning, "daemon exited at start:\n\(log)")
    }

    /// SIGTERM and wait for a clean exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        guard let process else { return -1 }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    /// kill -9.
    func crash() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func signal(_ number: Int32) {
        if let process { kill(process.processIdentifier, number) }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Writes a file elsewhere and renames it into incoming/ (the safe way to drop a file).
    func drop(_ name: String, _ contents: String) throws {
        let staging = root + "/staging-" + name
        try contents.write(toFile: staging, atomically: false, encoding: .utf8)
        try FileManager.default.moveItem(atPath: staging, toPath: incoming + "/" + name)
    }

    /// Archived job folders, as `date/name` paths.
    func archivedJobs() -> [String] {
        let dates = ((try? FileManager.default.contentsOfDirectory(atPath: archive)) ?? []).filter { $0.first?.isNumber == true }
        return dates.flatMap { date in
            ((try? FileManager.default.contentsOfDirectory(atPath: archive + "/" + date)) ?? [])
                .filter { !$0.hasPrefix(".") }.map { archive + "/" + date + "/" + $0 }
        }.sorted()
    }

    /// Writes `contents` elsewhere and renames it into incoming/ under a name given as bytes (which
    /// need not be UTF-8: `FileManager` cannot spell those).
    func drop(bytes name: [UInt8], _ contents: String, mode: mode_t = 0o644) throws {
        let staging = root + "/staging-bytes"
        try contents.write(toFile: staging, atomically: false, encoding: .utf8)
        #expect(chmod(staging, mode) == 0)
        let target = Array(incoming.utf8) + [UInt8(ascii: "/")] + name + [0]
        let result = target.withUnsafeBufferPointer { path in
            path.withMemoryRebound(to: CChar.self) { rename(staging, $0.baseAddress!) }
        }
        #expect(result == 0, "cannot drop \(name): errno \(errno)")
    }

    /// The exact names in `folder`, as bytes.
    func entries(in folder: String) -> [[UInt8]] {
        guard let stream = opendir(folder) else { return [] }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { names.append(name) }
        }
        return names
    }

    func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }
}

/// Sample CSV text in the engine's input shape.
func sampleCSV(rows: Int, seed: Int = 1, badLine: Int? = nil) -> String {
    var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
    func next(_ range: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(range))
    }
    var text =
        "user_id,age,income,credit_score,num_purchases,account_age_days,avg_transaction,num_returns,is_premium,region,category_preference\n"
    for id in 1...rows {
        if id + 1 == badLine {
            text += "\(id),30,50000,abc,10,100,55.5,1,0,2,3\n"
            continue
        }
        text +=
            "\(id),\(18 + next(62)),\(20000 + next(130_000)),\(300 + next(550)),\(next(50)),\(1 + next(3649)),\(10 + next(490)).5,\(next(10)),\(next(2)),\(1 + next(4)),\(1 + next(9))\n"
    }
    return text
}
