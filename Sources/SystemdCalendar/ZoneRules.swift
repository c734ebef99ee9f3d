/// The UTC offsets of one time zone over time, from a tz database (TZif) file or a POSIX TZ rule,
/// applied exactly as glibc's `localtime_r` applies them.
///
/// Leap second records (the `right/` zones) are ignored, so such zones behave like their plain twins.
struct ZoneRules: Sendable, Equatable {
    /// What a zone's clocks show for a while: the offset, whether it is daylight saving time, the abbreviation.
    struct LocalTimeType: Sendable, Equatable {
        var utcOffset: Int
        var isDST: Bool
        var abbreviation: String
    }

    /// Transition instants, ascending, in seconds since the epoch.
    private(set) var transitions: [Int] = []
    /// For each transition, the index in `types` of the local time type it starts.
    private(set) var transitionTypes: [Int] = []
    private(set) var types: [LocalTimeType] = []
    /// After the last transition (or, with no file, always): the zone's rule.
    private(set) var rule: POSIXTimeZoneRule?

    /// Coordinated Universal Time.
    static let utc = ZoneRules(rule: POSIXTimeZoneRule(parsing: "UTC0")!)

    /// A zone described by a POSIX TZ rule alone.
    init(rule: POSIXTimeZoneRule) {
        self.rule = rule
    }

    /// The local time type at `seconds` since the epoch (glibc's __tzfile_compute and __tz_compute).
    func localTimeType(at seconds: Int) -> LocalTimeType {
        if types.isEmpty, let rule { return rule.localTimeType(at: seconds) }
        guard let first = transitions.first, seconds >= first else {
            // Before the first transition glibc takes the first standard-time type.
            return types.first { !$0.isDST } ?? types[0]
        }
        if seconds >= transitions[transitions.count - 1] {
            if let rule { return rule.localTimeType(at: seconds) }
            return types[transitionTypes[transitions.count - 1]]
        }
        // The last transition at or before `seconds`.
        var low = 0
        var high = transitions.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if transitions[middle] <= seconds { low = middle } else { high = middle - 1 }
        }
        return types[transitionTypes[low]]
    }

    /// The standard and daylight saving abbreviations, as glibc sets `tzname` when it loads the zone:
    /// those of the latest transitions to each kind of time.
    var abbreviations: (standard: String, daylight: String) {
        if types.isEmpty, let rule { return (rule.standardName, rule.daylightName ?? rule.standardName) }
        var standard: String?
        var daylight: String?
        for type in transitionTypes.reversed().map({ types[$0] }) {
            if type.isDST { daylight = daylight ?? type.abbreviation } else { standard = standard ?? type.abbreviation }
            if standard != nil && daylight != nil { break }
        }
        let name = standard ?? types[0].abbreviation
        return (name, daylight ?? name)
    }
}

extension ZoneRules {
    /// Reads a TZif file (RFC 8536, versions 1 to 4); nil if `bytes` are not one.
    init?(tzif bytes: [UInt8]) {
        var reader = ByteReader(bytes: bytes)
        guard let header = reader.tzifHeader() else { return nil }
        var counts = header.counts
        var timeSize = 4
        if header.version >= UInt8(ascii: "2") {
            // Skip the 32-bit data block: the second, 64-bit block follows it.
            guard reader.skip(counts.dataSize(timeSize: 4)), let second = reader.tzifHeader() else { return nil }
            counts = second.counts
            timeSize = 8
        }
        guard counts.types > 0, counts.characters > 0,
            let transitions = reader.integers(count: counts.transitions, size: timeSize),
            let transitionTypes = reader.integers(count: counts.transitions, size: 1)
        else { return nil }
        var rawTypes: [(utcOffset: Int, isDST: Int, abbreviationIndex: Int)] = []
        for _ in 0..<counts.types {
            guard let offset = reader.integers(count: 1, size: 4), let flags = reader.integers(count: 2, size: 1) else {
                return nil
            }
            rawTypes.append((offset[0], flags[0], flags[1]))
        }
        guard let characters = reader.bytes(count: counts.characters).map(Array.init),
            reader.skip(counts.leapSeconds * (timeSize + 4) + counts.standardIndicators + counts.utIndicators)
        else { return nil }
        guard transitionTypes.allSatisfy({ $0 < counts.types }),
            rawTypes.allSatisfy({ $0.isDST <= 1 && $0.abbreviationIndex < counts.characters })
        else { return nil }

        self.transitions = transitions
        self.transitionTypes = transitionTypes
        self.types = rawTypes.map { raw in
            let name = characters[raw.abbreviationIndex...].prefix { $0 != 0 }
            return LocalTimeType(
                utcOffset: raw.utcOffset, isDST: raw.isDST == 1, abbreviation: String(decoding: name, as: UTF8.self))
        }
        // Version 2+ ends with "\n<TZ rule>\n" for the instants after the last transition.
        if timeSize == 8, reader.byte() == UInt8(ascii: "\n"), let footer = reader.bytes(upTo: UInt8(ascii: "\n")),
            !footer.isEmpty
        {
            self.rule = POSIXTimeZoneRule(parsing: String(decoding: footer, as: UTF8.self))
        }
    }
}

/// Big-endian reads from a TZif file.
private struct ByteReader {
    struct Counts {
        var utIndicators = 0, standardIndicators = 0, leapSeconds = 0, transitions = 0, types = 0, characters = 0

        func dataSize(timeSize: Int) -> Int {
            transitions * (timeSize + 1) + types * 6 + characters + leapSeconds * (timeSize + 4)
                + standardIndicators + utIndicators
        }
    }

    let bytes: [UInt8]
    var index = 0

    mutating func byte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, bytes.count - index >= count else { return false }
        index += count
        return true
    }

    mutating func bytes(count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, bytes.count - index >= count else { return nil }
        defer { index += count }
        return bytes[index..<index + count]
    }

    mutating func bytes(upTo terminator: UInt8) -> ArraySlice<UInt8>? {
        guard let end = bytes[index...].firstIndex(of: terminator) else { return nil }
        defer { index = end + 1 }
        return bytes[index..<end]
    }

    /// `count` big-endian two's-complement integers of `size` bytes (size 1 is unsigned).
    mutating func integers(count: Int, size: Int) -> [Int]? {
        guard let data = bytes(count: count * size) else { return nil }
        return (0..<count).map { item in
            let field = data.dropFirst(item * size).prefix(size)
            let unsigned = field.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard size > 1 else { return Int(unsigned) }
            let shift = UInt64(64 - 8 * size)
            return Int(Int64(bitPattern: unsigned << shift) >> Int64(shift))
        }
    }

    /// "TZif", a version byte, 15 reserved bytes, then six counts.
    mutating func tzifHeader() -> (version: UInt8, counts: Counts)? {
        guard let magic = bytes(count: 4), Array(magic) == Array("TZif".utf8), let version = byte(), skip(15),
            let values = integers(count: 6, size: 4), values.allSatisfy({ $0 >= 0 })
        else { return nil }
        let counts = Counts(
            utIndicators: values[0], standardIndicators: values[1], leapSeconds: values[2],
            transitions: values[3], types: values[4], characters: values[5])
        return (version, counts)
    }
}
