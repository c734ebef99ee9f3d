/// A POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3`, read and applied as glibc's `tzset` does.
///
/// The tz database puts one at the end of every TZif file for the instants after its last listed
/// transition; a `TZ` variable that names no file is read as one.
struct POSIXTimeZoneRule: Sendable, Equatable {
    /// The day and time of a change between standard and daylight saving time.
    struct Change: Sendable, Equatable {
        enum Day: Sendable, Equatable {
            /// `Jn`: day 1...365, February 29 never counted.
            case julianSkippingLeapDay(Int)
            /// `n`: day 0...365, February 29 counted.
            case dayOfYear(Int)
            /// `Mm.w.d`: weekday `d` (0 is Sunday) of week `w` (5 is the last) of month `m`.
            case monthWeekDay(month: Int, week: Int, weekday: Int)
        }

        var day: Day
        /// The local time of the change; may be negative or beyond 24 hours.
        var secondsIntoDay: Int
    }

    var standardName: String
    /// Seconds east of UTC.
    var standardOffset: Int
    /// Nil when the zone has no daylight saving time.
    var daylightName: String?
    var daylightOffset: Int
    /// Given in local standard time.
    var daylightStart: Change
    /// Given in local daylight saving time.
    var daylightEnd: Change

    /// Parses a TZ rule; nil if it is not one (glibc then falls back to UTC).
    ///
    /// A daylight saving name without change rules gets the US rules `M3.2.0,M11.1.0`, which glibc
    /// uses when the `posixrules` file is missing.
    init?(parsing text: String) {
        var reader = Reader(bytes: Array(text.utf8))
        guard let standardName = reader.name(), let standardOffset = reader.offset() else { return nil }
        self.standardName = standardName
        self.standardOffset = standardOffset
        self.daylightName = nil
        self.daylightOffset = standardOffset
        self.daylightStart = Change(day: .dayOfYear(0), secondsIntoDay: 0)
        self.daylightEnd = daylightStart
        if reader.atEnd { return }

        guard let daylightName = reader.name() else { return nil }
        self.daylightName = daylightName
        self.daylightOffset = reader.offset() ?? standardOffset + 3600
        if reader.atEnd || reader.remaining == [UInt8(ascii: ",")] {
            daylightStart = Change(day: .monthWeekDay(month: 3, week: 2, weekday: 0), secondsIntoDay: 7200)
            daylightEnd = Change(day: .monthWeekDay(month: 11, week: 1, weekday: 0), secondsIntoDay: 7200)
            return
        }
        guard let start = reader.change(), let end = reader.change(), reader.atEnd else { return nil }
        daylightStart = start
        daylightEnd = end
    }

    /// The offset, daylight saving flag and abbreviation in effect at `seconds` since the epoch.
    func localTimeType(at seconds: Int) -> ZoneRules.LocalTimeType {
        let standard = ZoneRules.LocalTimeType(utcOffset: standardOffset, isDST: false, abbreviation: standardName)
        guard let daylightName else { return standard }
        // glibc computes both changes for the UTC year of the instant.
        let year = CivilTime.date(fromDays: CivilTime.floorDivide(seconds, CivilTime.secondsPerDay)).year
        let start = Self.instant(of: daylightStart, in: year, utcOffset: standardOffset)
        let end = Self.instant(of: daylightEnd, in: year, utcOffset: daylightOffset)
        // Southern hemisphere: daylight saving time spans the new year.
        let isDST = start > end ? (seconds < end || seconds >= start) : (seconds >= start && seconds < end)
        guard isDST else { return standard }
        return ZoneRules.LocalTimeType(utcOffset: daylightOffset, isDST: true, abbreviation: daylightName)
    }

    /// glibc's compute_change(): the instant of `change` in `year` where the local time is `utcOffset` east.
    private static func instant(of change: Change, in year: Int, utcOffset: Int) -> Int {
        // glibc counts from January 1 only for years after 1970 (and from the epoch before).
        var seconds = year > 1970 ? CivilTime.days(year: year, month: 1, day: 1) * CivilTime.secondsPerDay : 0
        switch change.day {
        case .julianSkippingLeapDay(let day):
            seconds += (day - 1) * CivilTime.secondsPerDay
            if day >= 60 && CivilTime.isLeapYear(year) { seconds += CivilTime.secondsPerDay }
        case .dayOfYear(let day):
            seconds += day * CivilTime.secondsPerDay
        case .monthWeekDay(let month, let week, let weekday):
            let firstOfMonth = CivilTime.days(year: year, month: month, day: 1)
            seconds += (firstOfMonth - CivilTime.days(year: year, month: 1, day: 1)) * CivilTime.secondsPerDay
            var day = weekday - CivilTime.floorModulo(firstOfMonth + 4, 7)
            if day < 0 { day += 7 }
            let length = CivilTime.daysInMonth(year: year, month: month)
            for _ in 1..<max(week, 1) where day + 7 < length {
                day += 7
            }
            seconds += day * CivilTime.secondsPerDay
        }
        return seconds - utcOffset + change.secondsIntoDay
    }
}

extension POSIXTimeZoneRule {
    /// A cursor over the bytes of a TZ rule.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }
        var remaining: ArraySlice<UInt8> { bytes[index...] }

        private func byte(at position: Int) -> UInt8? {
            position < bytes.count ? bytes[position] : nil
        }

        private static func isLetter(_ byte: UInt8) -> Bool {
            (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
        }

        private static func isDigit(_ byte: UInt8) -> Bool {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }

        /// A zone abbreviation: three or more letters, or `<...>` holding letters, digits, `+` and `-`.
        mutating func name() -> String? {
            var end = index
            while let byte = byte(at: end), Self.isLetter(byte) { end += 1 }
            if end - index >= 3 {
                defer { index = end }
                return String(decoding: bytes[index..<end], as: UTF8.self)
            }
            guard byte(at: index) == UInt8(ascii: "<") else { return nil }
            let start = index + 1
            end = start
            while let byte = byte(at: end),
                Self.isLetter(byte) || Self.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            {
                end += 1
            }
            guard byte(at: end) == UInt8(ascii: ">"), end - start >= 3 else { return nil }
            index = end + 1
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }

        /// `[+-]hh[:mm[:ss]]`, hours west of UTC, returned as seconds east (as glibc, clamped to 24:59:59).
        mutating func offset() -> Int? {
            var position = index
            var west = true
            if let sign = byte(at: position), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                west = sign == UInt8(ascii: "+")
                position += 1
            }
            guard let fields = clock(from: &position) else { return nil }
            index = position
            let seconds = min(fields.0, 24) * 3600 + min(fields.1, 59) * 60 + min(fields.2, 59)
            return west ? -seconds : seconds
        }

        /// `hh[:mm[:ss]]`, each a number.
        private func clock(from position: inout Int) -> (Int, Int, Int)? {
            var fields: [Int] = []
            var cursor = position
            while fields.count < 3 {
                if !fields.isEmpty {
                    guard byte(at: cursor) == UInt8(ascii: ":"),
                        let next = byte(at: cursor + 1), Self.isDigit(next)
                    else { break }
                    cursor += 1
                }
                guard let value = number(from: &cursor) else { break }
                fields.append(value)
                position = cursor
            }
            guard !fields.isEmpty else { return nil }
            return (fields[0], fields.count > 1 ? fields[1] : 0, fields.count > 2 ? fields[2] : 0)
        }

        private func number(from position: inout Int) -> Int? {
            var value = 0
            var cursor = position
            while let byte = byte(at: cursor), Self.isDigit(byte) {
                value = min(value * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000)
                cursor += 1
            }
            guard cursor > position else { return nil }
            position = cursor
            return value
        }

        /// `,date[/time]` where date is `Jn`, `n` or `Mm.w.d` and time defaults to 02:00.
        mutating func change() -> Change? {
            if byte(at: index) == UInt8(ascii: ",") { index += 1 }
            var position = index
            let day: Change.Day
            switch byte(at: position) {
            case UInt8(ascii: "J"):
                position += 1
                guard let value = number(from: &position), (1...365).contains(value) else { return nil }
                day = .julianSkippingLeapDay(value)
            case UInt8(ascii: "M"):
                position += 1
                guard let month = number(from: &position), byte(at: position) == UInt8(ascii: ".") else { return nil }
                position += 1
                guard let week = number(from: &position), byte(at: position) == UInt8(ascii: ".") else { return nil }
                position += 1
                guard let weekday = number(from: &position),
                    (1...12).contains(month), (1...5).contains(week), (0...6).contains(weekday)
                else { return nil }
                day = .monthWeekDay(month: month, week: week, weekday: weekday)
            default:
                guard let value = number(from: &position), value <= 365 else { return nil }
                day = .dayOfYear(value)
            }
            var secondsIntoDay = 7200
            if byte(at: position) == UInt8(ascii: "/") {
                position += 1
                let negative = byte(at: position) == UInt8(ascii: "-")
                if negative || byte(at: position) == UInt8(ascii: "+") { position += 1 }
                guard let fields = clock(from: &position) else { return nil }
                secondsIntoDay = (fields.0 * 3600 + fields.1 * 60 + fields.2) * (negative ? -1 : 1)
            }
            guard position == bytes.count || byte(at: position) == UInt8(ascii: ",") else { return nil }
            index = position
            return Change(day: day, secondsIntoDay: secondsIntoDay)
        }
    }
}
