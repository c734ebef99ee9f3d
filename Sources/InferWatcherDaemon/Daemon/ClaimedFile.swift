import Files
import SystemPackage

/// A file claimed into `processing/`: `<arrival nanoseconds>~<name>`.
///
/// The arrival time is in the name so a file recovered after a crash keeps it — and with it its job
/// id, which is derived from the content hash and the arrival time. The name is the input's own when
/// it is UTF-8 and fits NAME_MAX; otherwise a ``DerivedName`` (cut, with a hash of the original and
/// its extension), and the original bytes are kept by the ``ClaimLedger``.
struct ClaimedFile: Sendable, Equatable {
    /// The input's name as dropped, byte for byte.
    let original: FilePath.Component
    let arrivalNanoseconds: Int64
    /// Its name in `processing/` (UTF-8, at most NAME_MAX bytes).
    let fileName: String
    /// Its path in `processing/`.
    let path: String
    /// Failed attempts so far (kept on disk by ``ClaimLedger``, so a restart keeps counting).
    var attempts = 0
    /// Not to be started before this time (retry backoff).
    var notBefore = UnixInstant(sinceEpoch: .zero)

    /// The input's name as text, for logs and JSON (bytes that are not UTF-8 as U+FFFD).
    var originalName: String { original.text }

    /// The input's name in hex when it is not UTF-8 (JSON `…_hex` fields), else nil.
    var originalHex: String? { original.isUTF8 ? nil : original.hex }

    /// True when `fileName` does not spell the original name, so the ledger must keep it.
    var isRenamed: Bool { fileName != Self.prefix(arrivalNanoseconds) + originalName || !original.isUTF8 }

    private static func prefix(_ arrival: Int64) -> String { "\(arrival)~" }

    init(folder: String, original: FilePath.Component, arrivalNanoseconds: Int64) {
        self.original = original
        self.arrivalNanoseconds = arrivalNanoseconds
        let prefix = Self.prefix(arrivalNanoseconds)
        fileName = prefix + DerivedName.fit(original, maxBytes: DerivedName.maxBytes - prefix.utf8.count)
        path = "\(folder)/\(fileName)"
    }

    /// Parses a name found in `processing/` (nil for anything else); `recorded` is the original name
    /// the ledger kept for it, if any.
    init?(folder: String, fileName: String, recorded: FilePath.Component?) {
        guard let tilde = fileName.firstIndex(of: "~"), let arrival = Int64(fileName[..<tilde]),
            let named = FilePath.Component(String(fileName[fileName.index(after: tilde)...]))
        else { return nil }
        original = recorded ?? named
        arrivalNanoseconds = arrival
        self.fileName = fileName
        path = "\(folder)/\(fileName)"
    }
}
