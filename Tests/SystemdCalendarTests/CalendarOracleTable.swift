import Foundation

@testable import SystemdCalendar

/// The expressions, time zones and base times on which `CalendarSchedule` is compared with
/// `systemd-analyze calendar --iterations=5 --base-time=@<base>` (systemd 252).
enum CalendarOracleTable {
    static let iterations = 5

    /// Every supported form: shorthands, full and partial dates and times, weekdays, lists,
    /// ranges, steps, `*`, fractional seconds, `~`, `@`, time zones, and times around the 2026
    /// daylight saving changes in Europe/Berlin.
    static let expressions = [
        // Shorthands.
        "minutely", "hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly", "annually",
        "Hourly",
        // Date and time, time only, date only.
        "*-*-* 02:00", "*-*-* 02:30:00", "02:00", "8:00", "02:30", "03:00", "01:30", "*:30", "2026-12-24",
        "*-12-24", "2026-03-29 02:30", "2026-10-25 02:30", "26-10-25 02:59:59", "2150-06-01 12:00",
        // Weekdays: prefixes, ranges, lists, full names, the old "-" range.
        "Mon..Fri", "Sat,Sun", "Mon,Wed..Fri 06:00", "Mon-Fri 08:00", "Sun 02:30", "Monday *-*-* 12:00",
        "Fri..Sun 23:00",
        // Steps in every field.
        "*:0/15", "*-*-* 8..18/2:00", "0/2:00", "*-1/2-01 00:00", "*-*-1/10 12:00", "2026/2-01-01 00:00",
        "*:*:0/20", "02:00/20", "*:0/20",
        // Lists and ranges.
        "8,12,18:00", "*:00,30", "*-1,7-1 06:00", "9..17:00", "02..03:30", "*-*-1..7 00:00",
        "Mon *-*-1..7 09:00", "2,3:15", "8,12,8:00",
        // Wildcards and seconds, with fractions.
        "*:*:*", "*-*-* *:*:00", "12:00:01.5", "*:*:30.25", "*:*:0/0.5", "12:00:01.0000005",
        // Days counted from the end of the month.
        "*-*~01", "*-02~03", "Mon *-05~07/1", "*-*~1..3 12:00",
        // Time zones and Unix times.
        "02:00 UTC", "hourly UTC", "02:00 Europe/Berlin", "Mon..Fri 09:00 America/New_York", "@1767225600",
    ]

    /// Base times in UTC: a new year, the end of a February, and the last half hour of a year.
    static let utcBaseTimes = [
        1_767_225_600,  // 2026-01-01 00:00:00 UTC
        1_772_280_000,  // 2026-02-28 12:00:00 UTC
        1_798_759_800,  // 2026-12-31 23:30:00 UTC
    ]

    /// Base times in Europe/Berlin around 2026-03-29 (02:00 CET → 03:00 CEST) and 2026-10-25
    /// (03:00 CEST → 02:00 CET).
    static let berlinBaseTimes = [
        1_774_740_600,  // 2026-03-29 00:30:00 CET
        1_774_744_200,  // 2026-03-29 01:30:00 CET, half an hour before the gap
        1_792_881_000,  // 2026-10-25 00:30:00 CEST
        1_792_884_600,  // 2026-10-25 01:30:00 CEST, half an hour before the repeated hour
        1_792_888_200,  // 2026-10-25 02:30:00 CEST, its first pass
        1_792_891_800,  // 2026-10-25 02:30:00 CET, its second pass
    ]

    /// Base times in Europe/Dublin around 2026-03-29 (01:00 GMT → 02:00 IST). Dublin's winter
    /// time is the one flagged as daylight saving time (a negative offset from IST), so glibc moves
    /// a time in the gap backwards, which systemd detects ("stuck") and corrects.
    static let dublinBaseTimes = [
        1_774_740_600,  // 2026-03-28 23:30:00 GMT
        1_774_743_000,  // 2026-03-29 00:10:00 GMT
        1_774_744_800,  // 2026-03-29 00:40:00 GMT
    ]

    /// One comparison: an expression with a local time zone and a base time.
    struct Case: Hashable, Sendable, CustomStringConvertible {
        var expression: String
        var timeZone: String
        var baseTime: Int

        var description: String { "\"\(expression)\" TZ=\(timeZone) --base-time=@\(baseTime)" }
    }

    static func cases(for expression: String) -> [Case] {
        utcBaseTimes.map { Case(expression: expression, timeZone: "UTC", baseTime: $0) }
            + berlinBaseTimes.map { Case(expression: expression, timeZone: "Europe/Berlin", baseTime: $0) }
            + dublinBaseTimes.map { Case(expression: expression, timeZone: "Europe/Dublin", baseTime: $0) }
    }

    static var allCases: [Case] { expressions.flatMap(cases(for:)) }

    /// What `CalendarSchedule` answers, in the form of `SystemdCalendarOracle.Answer`.
    static func ourAnswer(for oracleCase: Case) -> SystemdCalendarOracle.Answer {
        let zone = TimeZoneDatabase.rules(forTZ: oracleCase.timeZone)
        guard let schedule = try? CalendarSchedule(parsing: oracleCase.expression, localTimeZone: zone) else {
            return SystemdCalendarOracle.Answer(normalized: nil, elapses: [], endedEarly: false)
        }
        var answer = SystemdCalendarOracle.Answer(normalized: schedule.normalized, elapses: [], endedEarly: false)
        var base = oracleCase.baseTime * 1_000_000
        for _ in 0..<iterations {
            guard let next = schedule.nextElapse(afterMicroseconds: base, localTimeZone: zone) else {
                answer.endedEarly = true
                break
            }
            answer.elapses.append(next / 1_000_000)  // systemd prints whole seconds
            base = next
        }
        return answer
    }

    /// systemd's answer: from the installed `systemd-analyze` when there is one, else from the
    /// recording made with it (`CalendarOracleRecording`).
    static func systemdAnswer(for oracleCase: Case) throws -> SystemdCalendarOracle.Answer {
        if SystemdCalendarOracle.isAvailable {
            return try SystemdCalendarOracle.answer(
                for: oracleCase.expression, timeZone: oracleCase.timeZone, baseTime: oracleCase.baseTime,
                iterations: iterations)
        }
        guard let recorded = CalendarOracleRecording.answers[oracleCase] else {
            throw SystemdCalendarOracle.Failure(
                description: "no recorded systemd answer for \(oracleCase); regenerate the recording "
                    + "(see CalendarOracleRecording.swift) on a machine with systemd 252")
        }
        return recorded
    }
}
