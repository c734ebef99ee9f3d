/// A file claimed into `processing/`: `<arrival nanoseconds>~<original name>`.
///
/// The arrival time is in the name so a file recovered after a crash keeps it — and with it its job
/// id, which is derived from the content hash and the arrival time.
struct ClaimedFile: Sendable, Equatable {
    let originalName: String
    let arrivalNanoseconds: Int64
    /// Its path in `processing/`.
    let path: String
    /// Failed attempts so far (kept on disk by ``AttemptLedger``, so a restart keeps counting).
    var attempts = 0
    /// Not to be started before this time (retry backoff).
    var notBefore = UnixInstant(sinceEpoch: .zero)

    /// Its name in `processing/`.
    var fileName: String { Self.name(original: originalName, arrivalNanoseconds: arrivalNanoseconds) }

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
