import Files
import Glibc
import OrderedJSON
import Synchronization

/// The daemon's live state, shared by pipeline loops and job threads, written to
/// `<state_dir>/status.json` (a ``StatusDocument``) for `inferwatcher status` and summarised for
/// systemd's STATUS=.
final class StatusBoard: Sendable {
    typealias RunningJob = PipelineStatus.RunningJob
    typealias FinishedJob = PipelineStatus.FinishedJob
    typealias PipelineState = PipelineStatus

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
        let document: StatusDocument? = state.withLock { state in
            guard state.changed, force || now - state.lastWritten >= interval else { return nil }
            state.changed = false
            state.lastWritten = now
            return StatusDocument(
                pid: Int(getpid()), phase: state.phase, updatedAt: now,
                pipelines: .init(state.order.compactMap { name in state.pipelines[name].map { (name, $0) } }))
        }
        guard let document, let text = try? JSONValue(encoding: document).serialized() else { return }
        try? AtomicFile.write(text, to: path, durable: false)
    }
}
