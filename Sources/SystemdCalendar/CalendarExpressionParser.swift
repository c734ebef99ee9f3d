/// Reads a calendar expression as systemd 252's calendar_spec_from_string() does, accepting
/// exactly what it accepts, but saying what is wrong (which part, what was expected) when it
/// rejects one.
struct CalendarExpressionParser {
    /// A field of a calendar expression and the values systemd allows in it.
    enum Field: Equatable {
        case year, month, day, hour, minute, second

        var name: String {
            switch self {
            case .year: "year"
            case .month: "month"
            case .day: "day"
            case .hour: "hour"
            case .minute: "minute"
            case .second: "second"
            }
        }

        /// The allowed values; seconds in microseconds.
        var range: ClosedRange<Int> {
            switch self {
            case .year: 1970...2199
            case .month: 1...12
            case .day: 1...31
            case .hour: 0...23
            case .minute: 0...59
            case .second: 0...(60 * CalendarSpec.microsecondsPerSecond - 1)
            }
        }

        /// A step that repeats within the field's range.
        var stepExample: String {
            switch self {
            case .year: "2026/2"
            case .month: "1/3"
            case .day: "1/7"
            case .hour: "0/2"
            case .minute: "0/15"
            case .second: "0/10"
            }
        }

        var example: String {
            switch self {
            case .year: "2026-*-*"
            case .month: "*-12-*"
            case .day: "*-*-01"
            case .hour: "*-*-* 23:00"
            case .minute: "*:0/15"
            case .second: "*:*:30"
            }
        }
    }

    /// A rejection: where in the expression (without its time zone) and why.
    private struct Failure: Error {
        var position: Int
        var message: String
    }

    /// One parsed list element and the text it came from.
    private struct Element {
        var component: CalendarComponent
        var text: String
    }

    /// systemd refuses lists longer than this (CALENDARSPEC_COMPONENTS_MAX + 1 elements).
    private static let maximumListLength = 241
    private static let space = UInt8(ascii: " ")
    private static let weekdayNames: [(name: String, day: Int)] = [
        ("Monday", 0), ("Mon", 0), ("Tuesday", 1), ("Tue", 1), ("Wednesday", 2), ("Wed", 2),
        ("Thursday", 3), ("Thu", 3), ("Friday", 4), ("Fri", 4), ("Saturday", 5), ("Sat", 5),
        ("Sunday", 6), ("Sun", 6),
    ]
    static let shorthands = [
        "minutely", "hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly",
    ]

    private let bytes: [UInt8]
    private var index = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses `expression`; `localAbbreviations` are the local zone's (glibc's `tzname`), which
    /// systemd would read as a request for standard or daylight saving time all year, and which are
    /// therefore refused.
    /// - Throws: `ScheduleError` naming the part that is wrong and what was expected.
    static func parse(
        _ expression: String, localAbbreviations: (standard: String, daylight: String)
    ) throws(ScheduleError) -> CalendarSpec {
        var spec = CalendarSpec()
        var body = Array(expression.utf8)
        if hasSuffixIgnoringCase(body, " UTC") {
            spec.timeZone = .utc
            body.removeLast(4)
        } else {
            for abbreviation in [localAbbreviations.standard, localAbbreviations.daylight] where !abbreviation.isEmpty {
                let suffix = Array(abbreviation.utf8)
                if body.count > suffix.count, hasSuffixIgnoringCase(body, suffix),
                    body[body.count - suffix.count - 1] == space
                {
                    throw ScheduleError(
                        expression: expression,
                        message:
                            "the time zone abbreviation \"\(String(decoding: body.suffix(suffix.count), as: UTF8.self))\" "
                            + "is not supported (systemd reads it as standard or daylight saving time all year); "
                            + "name the zone instead, e.g. \"*-*-* 02:00 Europe/Berlin\", or leave it out for local time"
                    )
                }
            }
            if let lastSpace = body.lastIndex(of: space) {
                let name = String(decoding: body[(lastSpace + 1)...], as: UTF8.self)
                if TimeZoneDatabase.isValidZoneName(name) {
                    spec.timeZone = name == "UTC" ? .utc : .named(name)
                    body.removeSubrange(lastSpace...)
                }
            }
        }
        guard !body.isEmpty else {
            throw ScheduleError(
                expression: expression,
                message: "the calendar expression is empty; write one such as \"daily\" or \"*-*-* 02:00\"")
        }
        if !applyShorthand(String(decoding: body, as: UTF8.self), to: &spec) {
            var parser = CalendarExpressionParser(bytes: body)
            do {
                try parser.parseExpression(into: &spec)
            } catch {
                throw ScheduleError(expression: expression, message: explanation(of: error, in: body))
            }
        }
        spec.normalize()
        return spec
    }

    // MARK: - Shorthands

    /// Sets the fields of a shorthand (`daily`, ...) as systemd defines it; false if `word` is none.
    private static func applyShorthand(_ word: String, to spec: inout CalendarSpec) -> Bool {
        let zero = [CalendarComponent(start: 0)]
        let first = [CalendarComponent(start: 1)]
        switch word.lowercased() {
        case "minutely":
            spec.microseconds = zero
        case "hourly":
            (spec.minutes, spec.microseconds) = (zero, zero)
        case "daily":
            (spec.hours, spec.minutes, spec.microseconds) = (zero, zero, zero)
        case "weekly":
            (spec.hours, spec.minutes, spec.microseconds) = (zero, zero, zero)
            spec.weekdays = 1  // Monday
        case "monthly":
            (spec.days, spec.hours, spec.minutes, spec.microseconds) = (first, zero, zero, zero)
        case "quarterly":
            (spec.days, spec.hours, spec.minutes, spec.microseconds) = (first, zero, zero, zero)
            spec.months = [1, 4, 7, 10].map { CalendarComponent(start: $0) }
        case "semiannually", "semi-annually", "biannually", "bi-annually":
            (spec.days, spec.hours, spec.minutes, spec.microseconds) = (first, zero, zero, zero)
            spec.months = [1, 7].map { CalendarComponent(start: $0) }
        case "yearly", "annually", "anually":
            (spec.days, spec.hours, spec.minutes, spec.microseconds) = (first, zero, zero, zero)
            spec.months = first
        default:
            return false
        }
        return true
    }

    // MARK: - Expression

    /// `[weekdays] [date] [time]`, or `[weekdays] @timestamp`.
    private mutating func parseExpression(into spec: inout CalendarSpec) throws(Failure) {
        try parseWeekdays(into: &spec)
        if try !parseDate(into: &spec) {
            try parseTime(into: &spec)
        }
        if current != nil {
            throw Failure(position: index, message: "unexpected \"\(excerpt(from: index))\" after the time")
        }
    }

    /// `Mon`, `Mon,Wed`, `Mon..Fri` (or `Mon-Fri`), in any combination, followed by a space or the end.
    private mutating func parseWeekdays(into spec: inout CalendarSpec) throws(Failure) {
        var bits = 0
        var rangeStart: Int? = nil
        var isFirst = true
        while true {
            let start = index
            guard let (day, length) = weekday(at: index) else {
                if isFirst { return }
                let separator = String(decoding: bytes[..<index], as: UTF8.self)
                throw Failure(
                    position: index,
                    message: "expected a weekday after \"\(separator)\", found \"\(excerpt(from: index))\"; "
                        + "separate the weekdays from the date or time with a space, e.g. \"Mon,Wed 12:00\"")
            }
            let next = byte(at: index + length)
            guard next == nil || [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ","), Self.space].contains(next)
            else {
                if let next, Self.isLetter(next) {
                    throw Failure(
                        position: start,
                        message: "unknown weekday \"\(word(from: start))\"; use Mon, Tue, Wed, Thu, Fri, Sat, Sun "
                            + "or their full names, e.g. \"Mon..Fri 08:00\"")
                }
                throw Failure(
                    position: start,
                    message: "a weekday must be followed by a space, \",\" or \"..\", found \"\(excerpt(from: start))\""
                )
            }
            bits |= 1 << day
            if let rangeStart {
                guard rangeStart <= day else {
                    let range = CalendarSpec.weekdayNames[rangeStart] + ".." + CalendarSpec.weekdayNames[day]
                    let wrapped = (0...6).filter { $0 >= rangeStart || $0 <= day }.reduce(0) { $0 | 1 << $1 }
                    throw Failure(
                        position: start,
                        message: "the weekday range \"\(range)\" runs backwards; weeks run from Mon to Sun, "
                            + "so write \"\(CalendarSpec.weekdayList(wrapped))\"")
                }
                for between in rangeStart..<day { bits |= 1 << between }
            }
            index += length
            spec.weekdays = bits

            guard let separator = current else { return }
            if separator == Self.space {
                skipSpaces()
                return
            }
            if separator == UInt8(ascii: ".") || separator == UInt8(ascii: "-") {
                guard rangeStart == nil else {
                    throw Failure(
                        position: index,
                        message: "a weekday range can't continue after \"\(text(0, upTo: index))\"; "
                            + "separate ranges with \",\", e.g. \"Mon..Wed,Fri\"")
                }
                if separator == UInt8(ascii: ".") {
                    guard byte(at: index + 1) == UInt8(ascii: ".") else {
                        throw Failure(
                            position: index,
                            message:
                                "expected \"..\" between the weekdays of a range, found \"\(excerpt(from: start))\"")
                    }
                    index += 1
                }
                index += 1
                rangeStart = day
            } else {
                index += 1
                rangeStart = nil
            }
            if current == nil || current == Self.space {
                skipSpaces()
                if let rangeStart {
                    throw Failure(
                        position: index,
                        message: "the weekday range \"\(CalendarSpec.weekdayNames[rangeStart])..\" needs an end, "
                            + "e.g. \"Mon..Fri\"")
                }
                return
            }
            isFirst = false
        }
    }

    /// `year-month-day`, `month-day`, either with `~` before the day, or `@timestamp`; returns
    /// true for a timestamp, which includes the time.
    private mutating func parseDate(into spec: inout CalendarSpec) throws(Failure) -> Bool {
        guard let first = current else { return false }
        if first == UInt8(ascii: "@") {
            try parseTimestamp(into: &spec)
            return true
        }
        if Self.isLetter(first) {
            throw Failure(
                position: index,
                message: "unknown word \"\(word(from: index))\"; expected a shorthand ("
                    + Self.shorthands.joined(separator: ", ")
                    + "), weekdays (Mon..Fri) or a date and time such as \"*-*-* 02:00\"")
        }
        let firstStart = index
        let firstRole = roleOfFirstList()
        let firstList = try parseList(role: firstRole)
        if current == nil || current == UInt8(ascii: ":") {
            // A time, not a date: read it again as one.
            index = firstStart
            return false
        }
        var fromEndOfMonth = false
        guard try separatesDateParts(after: firstStart, of: firstRole, fromEndOfMonth: &fromEndOfMonth) else {
            throw Failure(
                position: index,
                message: "expected \"-\" (a date such as 2026-12-24) or \":\" (a time such as 05:00) "
                    + "after \"\(text(firstStart, upTo: index))\"")
        }
        index += 1
        let secondStart = index
        let secondRole: Field = fromEndOfMonth ? .day : (firstRole == .year ? .month : .day)
        let secondList = try parseList(role: secondRole)
        if current == nil || current == Self.space {
            skipSpaces()
            spec.months = try validated(firstList, as: .month)
            spec.days = try validated(secondList, as: .day, fromEndOfMonth: fromEndOfMonth)
            spec.daysFromEndOfMonth = fromEndOfMonth
            return false
        }
        if fromEndOfMonth {
            throw Failure(
                position: index,
                message: "\"~\" (days counted from the end of the month) can only come between the month and the "
                    + "day, e.g. \"*-02~01\"")
        }
        guard try separatesDateParts(after: secondStart, of: secondRole, fromEndOfMonth: &fromEndOfMonth) else {
            if current == UInt8(ascii: ":") && !fromEndOfMonth
                && bytes[index...].filter({ $0 == UInt8(ascii: ":") }).count == 1
            {
                // "8-17:00": meant as hours 8 to 17.
                let from = text(firstStart, upTo: secondStart - 1)
                throw Failure(
                    position: firstStart,
                    message:
                        "ranges are written with \"..\": write \"\(from)..\(text(secondStart, upTo: index))\(excerpt(from: index))\" "
                        + "instead of \"\(excerpt(from: firstStart))\"")
            }
            throw Failure(
                position: index,
                message: "unexpected \"\(excerpt(from: index))\" after the date \"\(text(firstStart, upTo: index))\"; "
                    + "put a space between the date and the time, e.g. \"2026-12-24 08:00\"")
        }
        index += 1
        let thirdStart = index
        let thirdList = try parseList(role: .day)
        guard current == nil || current == Self.space else {
            if current == UInt8(ascii: "-") || current == UInt8(ascii: "~") {
                throw Failure(
                    position: index,
                    message: "a date has at most three parts (year-month-day), found \"\(excerpt(from: firstStart))\"")
            }
            try rejectStarFollower(after: thirdStart, of: .day)
            throw Failure(
                position: index,
                message: "unexpected \"\(excerpt(from: index))\" after the date \"\(text(firstStart, upTo: index))\"; "
                    + "put a space between the date and the time, e.g. \"2026-12-24 08:00\"")
        }
        skipSpaces()
        spec.years = try validated(firstList, as: .year)
        spec.months = try validated(secondList, as: .month)
        spec.days = try validated(thirdList, as: .day, fromEndOfMonth: fromEndOfMonth)
        spec.daysFromEndOfMonth = fromEndOfMonth
        return false
    }

    /// Whether the next byte is `-` or `~` (which it records); rejects what follows a bare `*`.
    private func separatesDateParts(
        after listStart: Int, of field: Field, fromEndOfMonth: inout Bool
    ) throws(Failure) -> Bool {
        switch current {
        case UInt8(ascii: "~"):
            fromEndOfMonth = true
            return true
        case UInt8(ascii: "-"):
            return true
        default:
            try rejectStarFollower(after: listStart, of: field)
            return false
        }
    }

    /// `@` and a Unix time (strtoul's syntax: leading white space and a sign are allowed).
    private mutating func parseTimestamp(into spec: inout CalendarSpec) throws(Failure) {
        let start = index
        index += 1
        var position = index
        while let byte = byte(at: position), [9, 10, 11, 12, 13, 32].contains(byte) { position += 1 }
        var negative = false
        if let sign = byte(at: position), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            position += 1
        }
        guard let digits = digitRun(at: position) else {
            throw Failure(position: index, message: "expected a Unix time after \"@\", e.g. \"@1767225600\"")
        }
        index = digits.end
        guard let magnitude = digits.value else {
            throw Failure(position: start, message: "the time \"\(text(start, upTo: index))\" is too large")
        }
        let seconds = Int(Int64(bitPattern: negative ? 0 &- magnitude : magnitude))
        let days = CivilTime.floorDivide(seconds, CivilTime.secondsPerDay)
        let date = CivilTime.date(fromDays: days)
        guard Field.year.range.contains(date.year) else {
            throw Failure(
                position: start,
                message: "the time \"\(text(start, upTo: index))\" is outside the years 1970..2199")
        }
        let secondOfDay = seconds - days * CivilTime.secondsPerDay
        spec.years = [CalendarComponent(start: date.year)]
        spec.months = [CalendarComponent(start: date.month)]
        spec.days = [CalendarComponent(start: date.day)]
        spec.hours = [CalendarComponent(start: secondOfDay / 3600)]
        spec.minutes = [CalendarComponent(start: secondOfDay / 60 % 60)]
        spec.microseconds = [CalendarComponent(start: secondOfDay % 60 * CalendarSpec.microsecondsPerSecond)]
        spec.timeZone = .utc
        if current != nil {
            throw Failure(
                position: index,
                message:
                    "nothing can follow \"\(text(start, upTo: index))\" but a time zone, found \"\(excerpt(from: index))\""
            )
        }
    }

    /// `hour:minute[:second]`, or nothing for 00:00:00.
    private mutating func parseTime(into spec: inout CalendarSpec) throws(Failure) {
        guard current != nil else {
            spec.hours = [CalendarComponent(start: 0)]
            spec.minutes = [CalendarComponent(start: 0)]
            spec.microseconds = [CalendarComponent(start: 0)]
            return
        }
        let hourStart = index
        let hours = try parseList(role: .hour)
        guard current == UInt8(ascii: ":") else {
            try rejectTimeSeparator(after: hourStart, of: .hour)
            throw Failure(
                position: index,
                message: "expected \":\" and the minutes after the hour \"\(text(hourStart, upTo: index))\", "
                    + "e.g. \"\(text(hourStart, upTo: index)):00\"")
        }
        index += 1
        let minuteStart = index
        let minutes = try parseList(role: .minute)
        var microseconds = [Element(component: CalendarComponent(start: 0), text: "00")]
        if current != nil {
            guard current == UInt8(ascii: ":") else {
                try rejectTimeSeparator(after: minuteStart, of: .minute)
                throw Failure(
                    position: index,
                    message:
                        "unexpected \"\(text(index, upTo: bytes.count))\" after the time \"\(text(hourStart, upTo: index))\""
                )
            }
            index += 1
            let secondStart = index
            microseconds = try parseList(role: .second)
            if current != nil {
                try rejectTimeSeparator(after: secondStart, of: .second)
                throw Failure(
                    position: index,
                    message:
                        "unexpected \"\(text(index, upTo: bytes.count))\" after the time \"\(text(hourStart, upTo: index))\""
                )
            }
        }
        spec.hours = try validated(hours, as: .hour)
        spec.minutes = try validated(minutes, as: .minute)
        spec.microseconds = try validated(microseconds, as: .second)
    }

    /// Explains common mistakes at a separator in the time: `*/15`, `8-17` and `9:00-17:00`.
    private func rejectTimeSeparator(after listStart: Int, of field: Field) throws(Failure) {
        try rejectStarFollower(after: listStart, of: field)
        if current == UInt8(ascii: "-"), let next = byte(at: index + 1), Self.isDigit(next) {
            if bytes[(index + 1)...].contains(UInt8(ascii: ":")) {
                throw Failure(
                    position: index,
                    message: "a range of times such as \"\(excerpt(from: 0))\" can't be written; use ranges of hours, "
                        + "e.g. \"9..16:*\" (every minute from 09:00 to 16:59) or \"9..17:00\" (every hour on the hour)"
                )
            }
            let from = text(listStart, upTo: index)
            throw Failure(
                position: index,
                message:
                    "ranges are written with \"..\": write \"\(from)..\(word(from: index + 1, digitsOnly: true))\" "
                    + "for the \(field.name)s, not \"\(excerpt(from: listStart))\"")
        }
    }

    /// Rejects whatever follows a list that was just `*` (systemd allows nothing but a separator there).
    private func rejectStarFollower(after listStart: Int, of field: Field) throws(Failure) {
        guard index == listStart + 1, byte(at: listStart) == UInt8(ascii: "*"), let next = current,
            next != Self.space
        else { return }
        if next == UInt8(ascii: "/") {
            let step = word(from: index + 1, digitsOnly: true)
            throw Failure(
                position: listStart,
                message: "a step needs a start value: write \"0/\(step.isEmpty ? "15" : step)\" instead of "
                    + "\"*/\(step.isEmpty ? "15" : step)\", e.g. \"*:0/15\" for every 15 minutes")
        }
        if next == UInt8(ascii: ",") || next == UInt8(ascii: ".") {
            throw Failure(
                position: index,
                message:
                    "\"*\" can't be part of a list or range in the \(field.name); write \"*\" alone or only numbers")
        }
        throw Failure(position: index, message: "unexpected \"\(excerpt(from: index))\" after \"*\"")
    }

    // MARK: - Lists

    /// What the first list of the date-or-time part is, judging by the separators that follow it.
    private func roleOfFirstList() -> Field {
        var position = index
        var separators = 0
        while let byte = byte(at: position), byte != Self.space {
            if byte == UInt8(ascii: ":") && separators == 0 { return .hour }
            if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "~") { separators += 1 }
            position += 1
        }
        return separators >= 2 ? .year : (separators == 1 ? .month : .hour)
    }

    /// `*`, or a comma-separated list of `value`, `start..stop`, `value/step`, `start..stop/step`.
    /// For seconds the values may have a fraction (`1.5`).
    private mutating func parseList(role field: Field) throws(Failure) -> [Element] {
        let isSeconds = field == .second
        if current == UInt8(ascii: "*") {
            index += 1
            let all = CalendarComponent(start: 0, step: CalendarSpec.microsecondsPerSecond)
            return isSeconds ? [Element(component: all, text: "*")] : []
        }
        var elements: [Element] = []
        while true {
            if elements.count == Self.maximumListLength {
                throw Failure(
                    position: index,
                    message: "the \(field.name) lists more than \(Self.maximumListLength) values; use a range or a step"
                )
            }
            let start = index
            var component = CalendarComponent(start: try number(for: field, after: elements.isEmpty ? nil : ","))
            if current == UInt8(ascii: "."), byte(at: index + 1) == UInt8(ascii: ".") {
                index += 2
                component.stop = try number(for: field, after: "..")
                component.step = isSeconds ? CalendarSpec.microsecondsPerSecond : 1
            }
            if current == UInt8(ascii: "/") {
                index += 1
                component.step = try number(for: field, after: "/")
                if component.step == 0 {
                    throw Failure(
                        position: start,
                        message: "the step of the \(field.name) \"\(text(start, upTo: index))\" must be more than 0, "
                            + "e.g. \"\(field.example)\"")
                }
            } else {
                if component.start > Int(Int32.max) - component.step {
                    throw outOfRange(field, text(start, upTo: index), at: start)
                }
                if isSeconds && component.stop >= 0 && component.start + component.step > component.stop {
                    throw Failure(
                        position: start,
                        message: component.stop < component.start
                            ? "the second range \"\(text(start, upTo: index))\" runs backwards; write the smaller value first"
                            : "the second range \"\(text(start, upTo: index))\" is shorter than one second; "
                                + "give it a step, e.g. \"\(text(start, upTo: index))/0.5\"")
                }
            }
            guard let next = current,
                ![Self.space, UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "~"), UInt8(ascii: ":")].contains(next)
            else {
                elements.append(Element(component: component, text: text(start, upTo: index)))
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                return elements
            }
            if next == UInt8(ascii: "."), byte(at: index + 1) != UInt8(ascii: "."), !isSeconds {
                var end = index + 1
                while let byte = byte(at: end), Self.isDigit(byte) { end += 1 }
                throw Failure(
                    position: index,
                    message:
                        "only seconds can have a fraction, found \"\(text(start, upTo: end))\" in the \(field.name)")
            }
            throw Failure(
                position: index,
                message:
                    "unexpected \"\(excerpt(from: index))\" after \"\(text(start, upTo: index))\" in the \(field.name)")
        }
    }

    /// A decimal number (for seconds: with an optional fraction of up to six digits, rounded), at
    /// most 2147483647 in the unit of the field (microseconds for seconds).
    private mutating func number(for field: Field, after separator: String?) throws(Failure) -> Int {
        let isSeconds = field == .second
        guard let digits = digitRun(at: index) else {
            throw missingNumber(for: field, after: separator)
        }
        let start = index
        index = digits.end
        var value = digits.value.map { $0.multipliedReportingOverflow(by: isSeconds ? 1_000_000 : 1) }
        if isSeconds, current == UInt8(ascii: "."), byte(at: index + 1) != UInt8(ascii: ".") {
            index += 1
            guard let first = current, Self.isDigit(first) else {
                throw Failure(
                    position: index,
                    message: "expected digits after the decimal point in the second \"\(text(start, upTo: index))\"")
            }
            var fraction: UInt64 = 0
            for _ in 0..<6 {
                guard let byte = current, Self.isDigit(byte) else {
                    fraction *= 10
                    continue
                }
                fraction = fraction * 10 + UInt64(byte - UInt8(ascii: "0"))
                index += 1
            }
            if let byte = current, byte >= UInt8(ascii: "5") && byte <= UInt8(ascii: "9") { fraction += 1 }
            while let byte = current, Self.isDigit(byte) { index += 1 }
            value = value.map { $0.overflow ? $0 : $0.partialValue.addingReportingOverflow(fraction) }
        }
        guard let value, !value.overflow, value.partialValue <= UInt64(Int32.max) else {
            throw outOfRange(field, text(start, upTo: index), at: start)
        }
        return Int(value.partialValue)
    }

    private func missingNumber(for field: Field, after separator: String?) -> Failure {
        guard let found = current else {
            return Failure(
                position: index,
                message: separator.map { "expected a number after \"\($0)\" in the \(field.name)" }
                    ?? "the \(field.name) is missing, e.g. \"\(field.example)\"")
        }
        if found == UInt8(ascii: "*") && separator != nil {
            return Failure(
                position: index,
                message:
                    "\"*\" can't be part of a list or range in the \(field.name); write \"*\" alone or only numbers")
        }
        let what = separator.map { "a number after \"\($0)\"" } ?? "a number or \"*\""
        return Failure(
            position: index,
            message:
                "expected \(what) for the \(field.name), found \"\(excerpt(from: index))\", e.g. \"\(field.example)\"")
    }

    // MARK: - Validation

    /// The components of `elements` with systemd's per-element normalization, checked as its
    /// calendar_spec_valid() checks them.
    private func validated(
        _ elements: [Element], as field: Field, fromEndOfMonth: Bool = false
    ) throws(Failure) -> [CalendarComponent] {
        var normalized: [(component: CalendarComponent, text: String)] = elements.map { element in
            var component = element.component
            if field == .year {
                // Two-digit years: 12 is 2012, 89 is 1989.
                for value in [\CalendarComponent.start, \.stop] where component[keyPath: value] >= 0 {
                    if component[keyPath: value] < 70 {
                        component[keyPath: value] += 2000
                    } else if component[keyPath: value] < 100 {
                        component[keyPath: value] += 1900
                    }
                }
            }
            // A range ends on a repetition; a step that can't repeat, or an empty range, is dropped.
            if component.stop > component.start && component.step > 0 {
                component.stop -= (component.stop - component.start) % component.step
            }
            if (component.stop > component.start && component.step > 0
                && component.start + component.step > component.stop)
                || component.start == component.stop
            {
                component.step = 0
                component.stop = -1
            }
            return (component, element.text)
        }
        if fromEndOfMonth {
            // systemd 252 checks a "~" list in ascending order and lowers the largest allowed day
            // by 3 for each element (its chain_valid() subtracts again at every recursion).
            normalized.sort { $0.component < $1.component }
            normalized = normalized.enumerated().filter {
                $0.offset == 0 || normalized[$0.offset - 1].component != $0.element.component
            }
            .map(\.element)
        }
        for (position, element) in normalized.enumerated() {
            let component = element.component
            let text = element.text
            let lower = field.range.lowerBound
            let upper = field.range.upperBound - (fromEndOfMonth ? 3 * (position + 1) : 0)
            if !(lower...upper).contains(component.start)
                || (component.stop >= 0 && !(lower...upper).contains(component.stop))
            {
                if fromEndOfMonth {
                    throw Failure(
                        position: 0,
                        message: "with \"~\" the day counts back from the end of the month (1 is the last day) and "
                            + (position == 0
                                ? "must be 1..28, found \"~\(text)\""
                                : "systemd allows at most 28 for the smallest value of a list, 25 for the next, "
                                    + "22 for the one after and so on; \"~\(text)\" is value \(position + 1), so at most \(upper)")
                    )
                }
                throw outOfRange(field, text, at: 0)
            }
            if component.step > upper - lower {
                throw Failure(
                    position: 0,
                    message: "the step of the \(field.name) \"\(text)\" is larger than its whole range "
                        + "\(rangeText(field, upper: upper)), e.g. \"\(field.example)\"")
            }
            if component.stop >= 0 && component.start + component.step > component.stop {
                throw Failure(
                    position: 0,
                    message: "the \(field.name) range \"\(text)\" runs backwards; write the smaller value first")
            }
            if component.stop < 0 && fromEndOfMonth && component.start - component.step < lower {
                throw Failure(
                    position: 0,
                    message: "the day \"~\(text)\" can't repeat: with \"~\" a step counts towards the end of the "
                        + "month, so the start must be larger than the step, e.g. \"*-*~07/2\"")
            }
            if component.stop < 0 && !fromEndOfMonth && component.start + component.step > upper {
                throw Failure(
                    position: 0,
                    message: "the \(field.name) \"\(text)\" never repeats: one step from its start is past "
                        + "\(field == .second ? 59 : upper); start earlier (e.g. \"\(field.stepExample)\") or drop the step"
                )
            }
        }
        return normalized.map(\.component)
    }

    private func outOfRange(_ field: Field, _ text: String, at position: Int) -> Failure {
        Failure(
            position: position,
            message: "the \(field.name) \"\(text)\" is outside \(rangeText(field, upper: field.range.upperBound)), "
                + "e.g. \"\(field.example)\"")
    }

    private func rangeText(_ field: Field, upper: Int) -> String {
        field == .second ? "0..59" : "\(field.range.lowerBound)..\(upper)"
    }

    // MARK: - Explanations

    /// The message for `failure`, or a better one when the mistake is in a trailing word that
    /// can only have been meant as a time zone, or when the expression is a cron line.
    private static func explanation(of failure: Failure, in body: [UInt8]) -> String {
        if body.first == space {
            return "remove the space at the start of the expression"
        }
        if body.last == space {
            return "remove the space at the end of the expression"
        }
        let words = body.split(separator: space)
        if words.count >= 5,
            words.allSatisfy({ $0.allSatisfy { isDigit($0) || "*/,-".utf8.contains($0) } })
        {
            return "cron syntax is not supported; write a systemd calendar expression such as "
                + "\"*:0/15\" (every 15 minutes) or \"Mon..Fri *-*-* 08:00\""
        }
        guard let lastSpace = body.lastIndex(of: space), failure.position >= lastSpace else { return failure.message }
        let trailing = String(decoding: body[(lastSpace + 1)...], as: UTF8.self)
        guard trailing.utf8.contains(where: isLetter) else { return failure.message }
        if ["AM", "PM"].contains(trailing.uppercased()) {
            return "AM and PM are not supported; write the time in 24-hour form, e.g. \"14:00\""
        }
        if CalendarExpressionParser(bytes: Array(trailing.utf8)).weekday(at: 0) != nil {
            return "weekdays must come first, e.g. \"Mon..Fri 08:00\", found \"\(trailing)\" at the end"
        }
        return "unknown time zone \"\(trailing)\" (there is no \(TimeZoneDatabase.zoneDirectory)/\(trailing)); "
            + "name a zone such as \"Europe/Berlin\" or \"UTC\", or leave it out for local time"
    }

    // MARK: - Bytes

    private var current: UInt8? { byte(at: index) }

    private func byte(at position: Int) -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipSpaces() {
        while current == Self.space { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    private static func hasSuffixIgnoringCase(_ bytes: [UInt8], _ suffix: some Collection<UInt8>) -> Bool {
        bytes.count >= suffix.count
            && zip(bytes.suffix(suffix.count), suffix).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func hasSuffixIgnoringCase(_ bytes: [UInt8], _ suffix: String) -> Bool {
        hasSuffixIgnoringCase(bytes, Array(suffix.utf8))
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// The weekday whose name (full or abbreviated, any case) starts at `position`.
    private func weekday(at position: Int) -> (day: Int, length: Int)? {
        for (name, day) in Self.weekdayNames {
            let name = Array(name.utf8)
            guard bytes.count - position >= name.count else { continue }
            if zip(bytes[position...], name).allSatisfy({ Self.lowercased($0) == Self.lowercased($1) }) {
                return (day, name.count)
            }
        }
        return nil
    }

    /// The digits at `position` as strtoul reads them: nil if there are none; a nil value on overflow.
    private func digitRun(at position: Int) -> (value: UInt64?, end: Int)? {
        var end = position
        var value: UInt64? = 0
        while let byte = byte(at: end), Self.isDigit(byte) {
            if let current = value {
                let (product, overflow) = current.multipliedReportingOverflow(by: 10)
                let (sum, carry) = product.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                value = overflow || carry ? nil : sum
            }
            end += 1
        }
        return end > position ? (value, end) : nil
    }

    private func text(_ start: Int, upTo end: Int) -> String {
        String(decoding: bytes[start..<min(end, bytes.count)], as: UTF8.self)
    }

    /// The rest of the word at `position` (up to a space), for messages.
    private func excerpt(from position: Int) -> String {
        let end = bytes[position...].firstIndex(of: Self.space) ?? bytes.count
        return text(position, upTo: max(end, position + 1))
    }

    private func word(from position: Int, digitsOnly: Bool = false) -> String {
        var end = position
        while let byte = byte(at: end), digitsOnly ? Self.isDigit(byte) : Self.isLetter(byte) { end += 1 }
        return text(position, upTo: end)
    }
}
