import Glibc

/// A file claimed into `processing/`: `<arrival nanoseconds>~<original name>`.
///
/// The arrival time is in the name so a file recovered after a crash keeps it — and with it its job
/// id, which is derived from the content hash and the arrival time.
struct ClaimedFile: Sendable, Equatable {
    let originalName: String
    let arrivalNanoseconds: Int64
    /// Its path in `processing/`.
    let path: String
    /// Attempts made so far (kept in memory: a restart starts counting again).
    var attempts = 0
    /// Not to be started before this time (retry backoff).
    var notBefore = 0.0

    var arrival: Double { Double(arrivalNanoseconds) / 1e9 }

    static func name(original: String, arrivalNanoseconds: Int64) -> String { "\(arrivalNanoseconds)~\(original)" }

    init(folder: String, original: String, arrivalNanoseconds: Int64) {
        originalName = original
        self.arrivalNanoseconds = arrivalNanoseconds
        path = "\(folder)/\(Self.name(original: original, arrivalNanoseconds: arrivalNanoseconds))"
    }

    /// Parses a name found in `processing/` (nil for anything else).
    init?(folder: String, fileName: String) {
        guard let tilde = fileName.firstIndex(of: "~"), let arrival = Int64(fileName[..<tilde]) else { return nil }
        let original = String(fileName[fileName.index(after: tilde)...])
        guard !original.isEmpty else { return nil }
        self.init(folder: folder, original: original, arrivalNanoseconds: arrival)
    }
}

/// Unix time now, in seconds.
func currentTime() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Unix time now, in nanoseconds.
func currentNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Monotonic seconds, for timeouts.
func monotonicNow() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
