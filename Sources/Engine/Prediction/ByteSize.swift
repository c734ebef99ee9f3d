/// Sizes written for people: a whole number of bytes, optionally with a binary suffix
/// (`65536`, `512KiB`, `64MiB`, `1GiB`; `B`, `KiB`, `MiB`, `GiB`, `TiB`, case as shown). Used by
/// `limits.max_record_bytes` in the daemon's YAML and by `--max-record-bytes` on the command line.
public enum ByteSize {
    private static let units: [(suffix: String, shift: Int)] = [
        ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10), ("B", 0),
    ]

    /// The byte count `text` spells, or nil when it is not a whole number with an optional suffix
    /// or does not fit in an `Int`.
    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text)
        var shift = 0
        if let unit = units.first(where: { text.hasSuffix($0.suffix) }) {
            digits = digits.dropLast(unit.suffix.count)
            shift = unit.shift
        }
        guard !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }), let number = Int(digits) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : bytes
    }

    /// `bytes` in the largest suffix that spells it exactly (`67108864` → `64MiB`), else in bytes.
    public static func text(_ bytes: Int) -> String {
        for unit in units where unit.shift > 0 && bytes > 0 && bytes % (1 << unit.shift) == 0 {
            return "\(bytes >> unit.shift)\(unit.suffix)"
        }
        return "\(bytes)"
    }
}
