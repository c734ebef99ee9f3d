import Checksum

/// Job ids: 12 lowercase hex digits, derived from the input's content hash and its arrival time.
///
/// `id = first 12 hex digits of SHA-256("<content sha256>:<arrival>")`, where `<content sha256>` is 64 lowercase
/// hex digits and `<arrival>` the arrival time in integer nanoseconds since the Unix epoch, in decimal.
///
/// The same file arriving at the same instant always gets the same id (so a job recovered after a crash
/// keeps its id, provided the daemon kept the arrival time), while the same content dropped twice gets two
/// ids; 48 bits make a collision between two jobs of one pipeline vanishingly unlikely.
public enum JobID {
    /// The number of hex digits in an id.
    public static let length = 12

    /// The job id for content with SHA-256 `contentSHA256` that arrived `arrivalNanoseconds` after the Unix epoch.
    public static func make(contentSHA256: String, arrivalNanoseconds: Int64) -> String {
        let seed = "\(contentSHA256.lowercased()):\(arrivalNanoseconds)"
        return String(SHA256.hex(of: Array(seed.utf8)).prefix(length))
    }

    /// The job id for content that arrived at `arrival` (Unix seconds), rounded to the nanosecond.
    ///
    /// A `Double` holds today's times to about a quarter of a microsecond, so the same `Double` always gives
    /// the same id; keep the `Double` (or the nanoseconds) itself, not a rounded copy, to recompute an id.
    public static func make(contentSHA256: String, arrival: Double) -> String {
        let nanoseconds = (arrival * 1e9).rounded()
        // Times beyond ±292 years from the epoch are not real arrival times; clamp rather than trap.
        let clamped = nanoseconds.isNaN ? 0 : min(max(nanoseconds, -9.2e18), 9.2e18)
        return make(contentSHA256: contentSHA256, arrivalNanoseconds: Int64(clamped))
    }

    /// True when `text` can name an archive folder as a job id: 1 to 64 ASCII letters, digits, `-` or `_`.
    public static func isValid(_ text: String) -> Bool {
        guard (1...64).contains(text.utf8.count) else { return false }
        return text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                true
            default:
                false
            }
        }
    }
}
