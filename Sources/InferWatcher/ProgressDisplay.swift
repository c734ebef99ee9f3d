import Engine
import Glibc
import Synchronization

/// A one-line progress display on stderr for long runs on a terminal.
final class ProgressDisplay: Sendable {
    private let enabled: Bool
    private let state = Mutex<(lastDrawn: Double, drawn: Bool)>((0, false))

    init(enabled: Bool) { self.enabled = enabled }

    /// Redraws at most four times a second, and only after the first second.
    var update: (@Sendable (PredictionProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] progress in
            let draw = state.withLock { state -> Bool in
                guard progress.elapsedSeconds >= 1, progress.elapsedSeconds - state.lastDrawn >= 0.25 else { return false }
                state.lastDrawn = progress.elapsedSeconds
                state.drawn = true
                return true
            }
            guard draw else { return }
            var line = "\r"
            if let total = progress.totalBytes, total > 0 {
                line += String(Int(100 * Double(progress.bytesRead) / Double(total))) + "%  "
            }
            let rate = Int(Double(progress.rowsRead) / max(progress.elapsedSeconds, 0.001))
            line += "\(progress.rowsRead) rows  \(rate) rows/s  \(Int(progress.elapsedSeconds))s   "
            Standard.error.write(line)
        }
    }

    /// Clears the line if anything was drawn.
    func finish() {
        if state.withLock({ $0.drawn }) { Standard.error.write("\r\u{1B}[K") }
    }
}
