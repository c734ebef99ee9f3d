import Files
import SystemPackage

/// Decides when files in `incoming/` are complete: after an event or a scan, a regular file whose
/// size and mtime stay the same for the settle time is ready.
struct SettleTracker {
    private struct Observation {
        var size: Int
        var modified: Int64
        var stableSince: UnixInstant
    }

    private var observations: [FilePath.Component: Observation] = [:]

    /// Names being watched for stability.
    var pending: [FilePath.Component] { Array(observations.keys) }

    var isEmpty: Bool { observations.isEmpty }

    /// Notes that `entry` was seen changing (an event or a scan) at `now`.
    mutating func touch(_ entry: SpoolEntry, now: UnixInstant) {
        if let old = observations[entry.name], old.size == entry.size, old.modified == entry.modified { return }
        observations[entry.name] = Observation(size: entry.size, modified: entry.modified, stableSince: now)
    }

    /// Restarts the settle time of `name` (a new close-write or move event).
    mutating func restart(_ entry: SpoolEntry, now: UnixInstant) {
        observations[entry.name] = Observation(size: entry.size, modified: entry.modified, stableSince: now)
    }

    mutating func forget(_ name: FilePath.Component) { observations[name] = nil }

    func contains(_ name: FilePath.Component) -> Bool { observations[name] != nil }

    /// Re-checks every pending file; returns those stable for `settle` (oldest mtime first) and the
    /// earliest time another could become ready.
    mutating func ready(
        now: UnixInstant, settle: Duration, stat: (FilePath.Component) -> SpoolEntry?
    ) -> (ready: [SpoolEntry], nextCheck: UnixInstant?) {
        var ready: [SpoolEntry] = []
        var nextCheck: UnixInstant?
        for (name, observation) in observations {
            guard let entry = stat(name), entry.kind == .regular else {
                observations[name] = nil
                continue
            }
            if entry.size != observation.size || entry.modified != observation.modified {
                observations[name] = Observation(size: entry.size, modified: entry.modified, stableSince: now)
                nextCheck = min(nextCheck ?? now + settle, now + settle)
            } else if observation.stableSince.duration(to: now) >= settle {
                ready.append(entry)
            } else {
                nextCheck = min(nextCheck ?? observation.stableSince + settle, observation.stableSince + settle)
            }
        }
        ready.sort { $0.modified != $1.modified ? $0.modified < $1.modified : $0.name.bytes.lexicographicallyPrecedes($1.name.bytes) }
        return (ready, nextCheck)
    }
}
