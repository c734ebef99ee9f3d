import Archive
import Files
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import InferWatcherDaemon

/// Polls `condition` every 5 ms of real time until it holds or `seconds` pass; never sleeps and
/// hopes. The default is generous because other suites in the same process may hold both of the
/// cooperative pool's threads (2 cores) with long synchronous tests for 20 s or so; it costs
/// nothing when the condition holds in time.
@discardableResult
func eventually(_ what: String, within seconds: Double = 90, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    let ok = try condition()
    if !ok { Issue.record("timed out after \(seconds)s waiting for \(what)") }
    return ok
}

/// Log records kept in memory, for tests that check what the daemon said.
final class CapturedLog: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    /// Records whose message contains `text`.
    func count(_ text: String) -> Int { all.filter { $0.message.contains(text) }.count }

    /// Records marked with `event`.
    func count(_ event: DaemonEvent) -> Int { all.filter { $0.metadata["iw.event"] == event.rawValue }.count }

    fileprivate func append(_ record: Record) { records.withLock { $0.append(record) } }

    /// A logger that writes here.
    func logger() -> Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append(Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// Holds jobs before they start until the test releases them.
final class JobGate: Sendable {
    private let state = Mutex<(open: Bool, waiting: [String], waiters: [CheckedContinuation<Void, Never>])>((false, [], []))

    /// Names of the inputs whose jobs are waiting at the gate.
    var waiting: [String] { state.withLock { $0.waiting } }

    func pass(_ input: String) async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiting.append(input)
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    /// Lets every waiting job and every later one through.
    func open() {
        let waiters = state.withLock { state in
            state.open = true
            state.waiting = []
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A daemon run in this process on temporary folders, on a ``ManualClock``.
final class InProcessDaemon: @unchecked Sendable {
    static let repository: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Tests/DaemonTests/Support/InProcessDaemon.swift
        return parts.joined(separator: "/")
    }()
    static let model = repository + "/Tests/EngineTests/Fixtures/models/mlp_legacy.onnx"

    let root: String
    let clock: ManualClock
    let log = CapturedLog()
    let gate: JobGate?
    /// The daemon's spool operations: the real file system, with the faults a test arms.
    let fileSystem = FaultyFileSystem()
    var configPath: String { root + "/inferwatcher.yaml" }
    var state: String { root + "/state" }
    private(set) var daemon: Daemon?
    private var group: ServiceGroup?
    private var running: Task<Void, any Error>?

    /// - Parameters:
    ///   - start: the clock's first reading.
    ///   - holdJobs: jobs wait at ``gate`` until it is opened.
    init(start: UnixInstant = UnixInstant(unixSeconds: 1_796_000_000), holdJobs: Bool = false) throws {
        root = NSTemporaryDirectory() + "iw-inprocess-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        clock = ManualClock(start: start)
        gate = holdJobs ? JobGate() : nil
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func spool(_ pipeline: String) -> String { root + "/spool/" + pipeline }
    func incoming(_ pipeline: String = "default") -> String { spool(pipeline) + "/incoming" }
    func processing(_ pipeline: String = "default") -> String { spool(pipeline) + "/processing" }
    func failed(_ pipeline: String = "default") -> String { spool(pipeline) + "/failed" }
    func archive(_ pipeline: String = "default") -> String { root + "/archive/" + pipeline }

    /// Writes the configuration: each pipeline with its folders under the root, a 2 s settle, and
    /// `settings` (YAML `key: value` lines) added; `topLevel` (YAML lines) goes before `pipelines:`.
    func configure(pipelines: [String: String] = ["default": ""], stopTimeout: String = "30s", topLevel: String = "") throws {
        var yaml = "state_dir: \(state)\nstop_timeout: \(stopTimeout)\n\(topLevel)pipelines:\n"
        for (name, settings) in pipelines.sorted(by: { $0.key < $1.key }) {
            var keys = [
                ("spool", spool(name)), ("archive", archive(name)), ("model", Self.model), ("settle", "2s"), ("compression", "none"),
            ]
            for line in settings.split(separator: "\n") {
                let (key, value) = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }.pair
                if let index = keys.firstIndex(where: { $0.0 == key }) { keys[index].1 = value } else { keys.append((key, value)) }
            }
            yaml += "  \(name):\n" + keys.map { "    \($0.0): \($0.1)\n" }.joined()
        }
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon in a service group and waits until it is ready.
    func start() async throws {
        let config = try ConfigLoader.load(path: configPath)
        let readyFlag = ReadyFlag()
        var beforeEachJob: PipelineService.BeforeEachJob?
        if let gate { beforeEachJob = { input in await gate.pass(input) } }
        let daemon = try Daemon(
            config: config, configPath: configPath, logger: log.logger(), hooks: DaemonHooks(ready: { readyFlag.set() }),
            clock: clock, fileSystem: fileSystem, beforeEachJob: beforeEachJob)
        let group = ServiceGroup(services: [daemon], gracefulShutdownSignals: [], cancellationSignals: [], logger: log.logger())
        self.daemon = daemon
        self.group = group
        running = Task { try await group.run() }
        await eventually("the daemon to be ready") { readyFlag.isSet }
    }

    /// Graceful shutdown; returns once the daemon's `run()` has returned.
    func stop() async throws {
        await group?.triggerGracefulShutdown()
        try await running?.value
        running = nil
    }

    /// Waits until every pipeline has acted on the clock's current time: it completed a turn at
    /// it, or it sleeps until later (nothing was due).
    func settle() async {
        let now = clock.now
        await eventually("every pipeline to act on \(now)") {
            (daemon?.pipelines ?? []).allSatisfy { pipeline in
                guard let turn = pipeline.lastCompletedTurn else { return false }
                return turn.at >= now || turn.nextWake > now
            }
        }
    }

    /// Advances the clock and waits for the pipelines to act on it.
    func advance(by duration: Duration) async {
        clock.advance(by: duration)
        await settle()
    }

    /// Writes a file elsewhere and renames it into `incoming/`, then waits until the pipeline has
    /// seen it (it is settling).
    func drop(_ name: String, rows: Int = 20, pipeline: String = "default") async throws {
        try writeIncoming(name, Self.sampleCSV(rows: rows), pipeline: pipeline)
        await eventually("the pipeline to see \(name)") { (daemon?.status.snapshot(of: pipeline)?.waiting ?? 0) >= 1 }
    }

    /// Jobs of `pipeline` that have ended (archived, skipped or quarantined), newest first.
    func finishedJobs(_ pipeline: String = "default") -> [StatusBoard.FinishedJob] {
        daemon?.status.snapshot(of: pipeline)?.recent ?? []
    }

    /// Writes `text` elsewhere and renames it into `incoming/` as `name`.
    func writeIncoming(_ name: String, _ text: String, pipeline: String = "default") throws {
        let staging = root + "/staging-" + name
        try text.write(toFile: staging, atomically: false, encoding: .utf8)
        try FileManager.default.moveItem(atPath: staging, toPath: incoming(pipeline) + "/" + name)
    }

    /// Archived job folders of `pipeline`, by path: every job folder in every date folder.
    func archivedJobs(_ pipeline: String = "default") -> [String] {
        let archive = archive(pipeline)
        let dates = ((try? FileTree.list(archive)) ?? []).filter { CalendarDate(folderName: $0) != nil }
        let jobs = dates.flatMap { date in ((try? FileTree.list("\(archive)/\(date)")) ?? []).map { "\(archive)/\(date)/\($0)" } }
        return jobs.filter { !FileTree.name(of: $0).hasPrefix(".") }.sorted()
    }

    /// The visible names in `folder`, sorted.
    func files(in folder: String) -> [String] {
        ((try? FileTree.list(folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Sample CSV text in the engine's input shape.
    static func sampleCSV(rows: Int) -> String {
        var text =
            "user_id,age,income,credit_score,num_purchases,account_age_days,avg_transaction,num_returns,is_premium,region,category_preference\n"
        for id in 1...rows {
            text +=
                "\(id),\(18 + id % 60),\(20000 + id * 37 % 130_000),\(300 + id % 550),\(id % 50),\(1 + id % 3649),\(10 + id % 490).5,\(id % 10),\(id % 2),\(1 + id % 4),\(1 + id % 9)\n"
        }
        return text
    }
}

/// A flag set once from any thread.
final class ReadyFlag: Sendable {
    private let flag = Atomic(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

extension Array where Element == String {
    /// The first two elements (a `key: value` line split at its colon).
    fileprivate var pair: (String, String) { (first ?? "", count > 1 ? self[1] : "") }
}
