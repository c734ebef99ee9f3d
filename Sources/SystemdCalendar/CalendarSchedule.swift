/// A systemd calendar expression (man systemd.time, "CALENDAR EVENTS") and its elapses, computed
/// exactly as systemd 252 computes them for a timer's `OnCalendar=`.
///
/// Supported: the shorthands (`minutely`, `hourly`, `daily`, `weekly`, `monthly`, `quarterly`,
/// `semiannually`, `yearly`/`annually`), weekday lists and ranges (`Mon..Fri`, `Sat,Sun`),
/// `year-month-day` and `month-day` dates, `~` for days counted from the end of the month
/// (`*-02~01`), times `hour:minute[:second]` with fractional seconds, lists (`8,12,18:00`),
/// ranges (`9..17:00`), steps (`*:0/15`, `8..18/2:00`), `*`, `@unix-time`, and a trailing `UTC`
/// or tz database zone (`Europe/Berlin`). A trailing abbreviation of the local zone (`CET`) is
/// refused: systemd reads it as "standard (or daylight saving) time all year", which silently
/// never elapses half of the year.
///
/// Daylight saving time, as systemd handles it (checked with `systemd-analyze calendar` under
/// `TZ=Europe/Berlin`): the search walks the wall clock, so
/// - a wall-clock time in a spring-forward gap does not exist and is skipped: `02:30` daily does
///   not elapse on 2026-03-29 (02:00 CET → 03:00 CEST) and `2026-03-29 02:30` never elapses;
///   `*:0/15` goes from 01:45 CET to 03:00 CEST;
/// - a wall-clock time in a fall-back hour elapses once, in its first (daylight saving) pass:
///   on 2026-10-25 (03:00 CEST → 02:00 CET) `hourly` goes 02:00 CEST → 03:00 CET, and `02:30`
///   daily elapses at 02:30 CEST only. Only a search that starts inside the second pass (say at
///   02:10 CET) finds times in it, such as 02:30 CET.
public struct CalendarSchedule: Sendable, Equatable, CustomStringConvertible {
    let spec: CalendarSpec

    /// Parses a calendar expression, reading local-zone abbreviations from the local time zone.
    /// - Throws: `ScheduleError` naming the part that is wrong and giving a valid example.
    public init(parsing expression: String) throws(ScheduleError) {
        try self.init(parsing: expression, localTimeZone: TimeZoneDatabase.localRules())
    }

    /// Parses a calendar expression as if `localTimeZone` were the local time zone.
    init(parsing expression: String, localTimeZone: ZoneRules) throws(ScheduleError) {
        spec = try CalendarExpressionParser.parse(expression, localAbbreviations: localTimeZone.abbreviations)
    }

    /// The shorthand words (`daily`, `hourly`, …), for messages that list them.
    public static var shorthands: [String] { CalendarExpressionParser.shorthands }

    /// The normalized form, exactly as `systemd-analyze calendar` prints "Normalized form:".
    public var normalized: String { spec.normalized }

    public var description: String { normalized }

    /// The first elapse strictly after `time` (Unix seconds, may be fractional), with wall-clock
    /// times read in the local time zone (`TZ`, else `/etc/localtime`) unless the expression names
    /// one; nil if there is none (a date in the past, February 30) before the year 2200.
    ///
    /// Precision is a microsecond; times before 1970 count as 1970-01-01 00:00:00 UTC.
    public func nextElapse(after time: Double) -> Double? {
        guard !time.isNaN else { return nil }
        let microseconds = (time * 1e6).rounded(.down)
        guard microseconds < 9.2e18 else { return nil }
        let candidate = microseconds < 0 ? 0 : Int(microseconds) + 1
        return spec.firstElapse(atOrAfter: candidate, localTimeZone: TimeZoneDatabase.localRules())
            .map { Double($0) / 1e6 }
    }

    /// The first elapse strictly after `microseconds` since the epoch, as `systemd-analyze calendar
    /// --base-time=` computes it, with `localTimeZone` as the local time zone.
    func nextElapse(afterMicroseconds microseconds: Int, localTimeZone: ZoneRules) -> Int? {
        spec.firstElapse(atOrAfter: microseconds + 1, localTimeZone: localTimeZone)
    }
}
