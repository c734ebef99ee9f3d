import Engine
import Glibc
import Synchronization

/// Where the daemon is in its life; status.json's `phase`.
enum DaemonPhase: String, Sendable {
    case starting, running, reloading, stopping, stopped
}

/// The daemon's live state, shared by pipeline loops and job threads, written to
/// `<state_dir>/status.json` for `inferwatcher status` and summarised for systemd's STATUS=.
final class StatusBoard: Sendable {
    /// A job that is running now.
    struct RunningJob: Sendable, Equatable {
        var jobID: String
        var input: String
        var startedAt: Double
        var bytesRead = 0
        var totalBytes: Int?
        var rowsRead = 0
        var rowsPerSecond = 0.0
        /// Unix time of the job's last sign of life (start or a progress report).
        var lastProgress: Double

        var percent: Int? { totalBytes.flatMap { $0 > 0 ? min(100, bytesRead * 100 / $0) : nil } }
    }

    /// How a job ended.
    struct FinishedJob: Sendable, Equatable {
        enum Outcome: String, Sendable {
            case archived
            case skippedDuplicate = "skipped duplicate"
            case quarantined
        }

        var jobID: String
        var input: String
        var outcome: Outcome
        var rows: Int
        var seconds: Double
        var finishedAt: Double
        var location: String
    }

    struct PipelineState: Sendable, Equatable {
        var waiting = 0
        var queued = 0
        var nextRun: Double?
        var running: [RunningJob] = []
        var recent: [FinishedJob] = []
    }

    private struct State {
        var pipelines: [String: PipelineState] = [:]
        var order: [String] = []
        var phase = DaemonPhase.starting
        var changed = true
        var lastWritten = 0.0
    }

    private let state = Mutex(State())
    let path: String

    init(stateDirectory: String) {
        path = stateDirectory + "/status.json"
    }

    func setPipelines(_ names: [String]) {
        state.withLock { state in
            state.order = names
            for name in names where state.pipelines[name] == nil { state.pipelines[name] = PipelineState() }
            for name in state.pipelines.keys where !names.contains(name) && state.pipelines[name]!.running.isEmpty {
                state.pipelines[name] = nil
            }
            state.changed = true
        }
    }

    func setPhase(_ phase: DaemonPhase) {
        state.withLock {
            $0.phase = phase
            $0.changed = true
        }
    }

    func update(_ pipeline: String, _ change: (inout PipelineState) -> Void) {
        state.withLock { state in
            var entry = state.pipelines[pipeline] ?? PipelineState()
            let before = entry
            change(&entry)
            state.pipelines[pipeline] = entry
            if entry != before { state.changed = true }
        }
    }

    func finish(_ pipeline: String, _ job: FinishedJob) {
        update(pipeline) { state in
            state.running.removeAll { $0.jobID == job.jobID }
            state.recent.insert(job, at: 0)
            if state.recent.count > 20 { state.recent.removeLast(state.recent.count - 20) }
        }
    }

    /// Seconds since the quietest running job last reported progress (0 when none runs).
    func longestSilence(now: Double) -> Double {
        state.withLock { state in
            state.pipelines.values.flatMap(\.running).map { now - $0.lastProgress }.max() ?? 0
        }
    }

    /// What is known of `pipeline` now.
    func snapshot(of pipeline: String) -> PipelineState? {
        state.withLock { $0.pipelines[pipeline] }
    }

    /// The id of the running job for `input`.
    func jobID(of input: String, pipeline: String) -> String? {
        state.withLock { $0.pipelines[pipeline]?.running.first { $0.input == input }?.jobID }
    }

    /// One line for systemd's STATUS=: what the daemon is doing.
    func summary() -> String {
        state.withLock { state in
            var running: [String] = []
            var queued = 0
            for name in state.order {
                guard let pipeline = state.pipelines[name] else { continue }
                queued += pipeline.queued + pipeline.waiting
                for job in pipeline.running {
                    var text = "\(name): \(job.input)"
                    if let percent = job.percent { text += " \(percent)%" }
                    if job.rowsPerSecond > 0 { text += " \(Int(job.rowsPerSecond)) rows/s" }
                    running.append(text)
                }
            }
            if state.phase != .running { return state.phase.rawValue.prefix(1).uppercased() + state.phase.rawValue.dropFirst() }
            var parts: [String] = []
            parts.append(running.isEmpty ? "Idle" : "Running \(running.joined(separator: "; "))")
            parts.append("\(queued) queued")
            let last = state.order.compactMap { state.pipelines[$0]?.recent.first }.max { $0.finishedAt < $1.finishedAt }
            if let last { parts.append("last: \(last.input) \(last.outcome)") }
            return parts.joined(separator: ", ")
        }
    }

    /// Writes status.json if anything changed (at most every `interval` seconds unless forced).
    func writeIfChanged(now: Double, interval: Double = 0.5, force: Bool = false) {
        let document: String? = state.withLock { state in
            guard state.changed, force || now - state.lastWritten >= interval else { return nil }
            state.changed = false
            state.lastWritten = now
            return Self.render(state, now: now)
        }
        guard let document else { return }
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "w") else { return }
        fputs(document, file)
        fclose(file)
        rename(temporary, path)
    }

    private static func render(_ state: State, now: Double) -> String {
        func job(_ job: RunningJob) -> JSONValue {
            .object([
                ("job", .string(job.jobID)), ("input", .string(job.input)), ("started_at", .double(job.startedAt)),
                ("percent", job.percent.map(JSONValue.int) ?? .null), ("rows_read", .int(job.rowsRead)),
                ("rows_per_second", .double(job.rowsPerSecond)),
            ])
        }
        func finished(_ job: FinishedJob) -> JSONValue {
            .object([
                ("job", .string(job.jobID)), ("input", .string(job.input)), ("outcome", .string(job.outcome.rawValue)),
                ("rows", .int(job.rows)), ("seconds", .double(job.seconds)), ("finished_at", .double(job.finishedAt)),
                ("location", .string(job.location)),
            ])
        }
        let pipelines: [(String, JSONValue)] = state.order.compactMap { name in
            guard let pipeline = state.pipelines[name] else { return nil }
            return (name, .object([
                ("waiting", .int(pipeline.waiting)), ("queued", .int(pipeline.queued)),
                ("next_run", pipeline.nextRun.map(JSONValue.double) ?? .null),
                ("running", .array(pipeline.running.map(job))), ("recent", .array(pipeline.recent.map(finished))),
            ]))
        }
        return JSONValue.object([
            ("pid", .int(Int(getpid()))), ("phase", .string(state.phase.rawValue)), ("updated_at", .double(now)),
            ("pipelines", .object(pipelines)),
        ]).serialized()
    }
}
