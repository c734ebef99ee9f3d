import Foundation
import Testing

@testable import SystemdCalendar

// The oracle for every expression is the real `systemd-analyze calendar` (systemd 252), run as a
// child process with its own TZ. Our side takes the local time zone as an argument
// (`localTimeZone:`), so no test reads or changes the process-wide TZ and all of them can run in
// parallel. Where systemd-analyze is missing, the answers recorded from it are used instead.

@Suite("CalendarSchedule matches systemd-analyze calendar")
struct CalendarScheduleOracleTests {
    @Test(
        "normalized form and next 5 elapses in UTC, Europe/Berlin and Europe/Dublin",
        arguments: CalendarOracleTable.expressions)
    func matchesSystemd(expression: String) throws {
        for oracleCase in CalendarOracleTable.cases(for: expression) {
            let expected = try CalendarOracleTable.systemdAnswer(for: oracleCase)
            #expect(expected.normalized != nil, "systemd refuses \(oracleCase)")
            #expect(CalendarOracleTable.ourAnswer(for: oracleCase) == expected, "\(oracleCase)")
        }
    }

    @Test("the table covers at least 40 expressions and both 2026 Berlin changes")
    func tableCoversTheForms() {
        #expect(CalendarOracleTable.expressions.count >= 40)
        #expect(Set(CalendarOracleTable.expressions).count == CalendarOracleTable.expressions.count)
        let berlin = TimeZoneDatabase.rules(forTZ: "Europe/Berlin")
        let flags = CalendarOracleTable.berlinBaseTimes.map { berlin.localTimeType(at: $0).isDST }
        #expect(flags == [false, false, true, true, true, false])
        let dublin = TimeZoneDatabase.rules(forTZ: "Europe/Dublin")
        #expect(
            CalendarOracleTable.dublinBaseTimes.map { dublin.localTimeType(at: $0 + 3600).abbreviation } == [
                "GMT", "IST", "IST",
            ])
    }

    /// Keeps `CalendarOracleRecording` true to the installed systemd, or rewrites it when
    /// `INFERWATCHER_RECORD_CALENDAR_ORACLE=1`.
    @Test("the recorded answers are systemd's", .enabled(if: SystemdCalendarOracle.isAvailable))
    func recordingMatchesSystemd() throws {
        var answers: [CalendarOracleTable.Case: SystemdCalendarOracle.Answer] = [:]
        for oracleCase in CalendarOracleTable.allCases {
            answers[oracleCase] = try SystemdCalendarOracle.answer(
                for: oracleCase.expression, timeZone: oracleCase.timeZone, baseTime: oracleCase.baseTime,
                iterations: CalendarOracleTable.iterations)
        }
        if ProcessInfo.processInfo.environment["INFERWATCHER_RECORD_CALENDAR_ORACLE"] == "1" {
            try CalendarOracleRecording.write(answers, version: try SystemdCalendarOracle.version())
            return
        }
        for oracleCase in CalendarOracleTable.allCases {
            #expect(CalendarOracleRecording.answers[oracleCase] == answers[oracleCase], "\(oracleCase)")
        }
        #expect(CalendarOracleRecording.answers.count == answers.count)
    }
}

@Suite("CalendarSchedule refuses bad expressions")
struct CalendarScheduleErrorTests {
    /// Bad expressions and the exact messages; systemd refuses every one of them too.
    static let badExpressions: [(expression: String, message: String)] = [
        ("", #"the calendar expression is empty; write one such as "daily" or "*-*-* 02:00""#),
        (" 02:00", "remove the space at the start of the expression"),
        ("02:00 ", "remove the space at the end of the expression"),
        ("25:00", #"the hour "25" is outside 0..23, e.g. "*-*-* 23:00""#),
        ("12:60", #"the minute "60" is outside 0..59, e.g. "*:0/15""#),
        ("12:00:60", #"the second "60" is outside 0..59, e.g. "*:*:30""#),
        ("*-13-01", #"the month "13" is outside 1..12, e.g. "*-12-*""#),
        ("*-02-32", #"the day "32" is outside 1..31, e.g. "*-*-01""#),
        ("2200-01-01", #"the year "2200" is outside 1970..2199, e.g. "2026-*-*""#),
        ("99999999999:00", #"the hour "99999999999" is outside 0..23, e.g. "*-*-* 23:00""#),
        ("*/15", #"a step needs a start value: write "0/15" instead of "*/15", e.g. "*:0/15" for every 15 minutes"#),
        ("*:*/5", #"a step needs a start value: write "0/5" instead of "*/5", e.g. "*:0/15" for every 15 minutes"#),
        (
            "*/15 * * * *",
            #"cron syntax is not supported; write a systemd calendar expression such as "*:0/15" (every 15 minutes) or "Mon..Fri *-*-* 08:00""#
        ),
        ("8-17:00", #"ranges are written with "..": write "8..17:00" instead of "8-17:00""#),
        (
            "9:00-17:00",
            #"a range of times such as "9:00-17:00" can't be written; use ranges of hours, e.g. "9..16:*" (every minute from 09:00 to 16:59) or "9..17:00" (every hour on the hour)"#
        ),
        ("12.5:00", #"only seconds can have a fraction, found "12.5" in the hour"#),
        ("*:0/0", #"the step of the minute "0/0" must be more than 0, e.g. "*:0/15""#),
        (
            "*:50/15",
            #"the minute "50/15" never repeats: one step from its start is past 59; start earlier (e.g. "0/15") or drop the step"#
        ),
        (
            "20/5:00",
            #"the hour "20/5" never repeats: one step from its start is past 23; start earlier (e.g. "0/2") or drop the step"#
        ),
        ("17..9:00", #"the hour range "17..9" runs backwards; write the smaller value first"#),
        ("*:*:5..1", #"the second range "5..1" runs backwards; write the smaller value first"#),
        ("12:00:1.5..2", #"the second range "1.5..2" is shorter than one second; give it a step, e.g. "1.5..2/0.5""#),
        ("12:00:01.", #"expected digits after the decimal point in the second "01.""#),
        (
            "*-*~29",
            #"with "~" the day counts back from the end of the month (1 is the last day) and must be 1..28, found "~29""#
        ),
        (
            "*-*~6,8,23",
            #"with "~" the day counts back from the end of the month (1 is the last day) and systemd allows at most 28 for the smallest value of a list, 25 for the next, 22 for the one after and so on; "~23" is value 3, so at most 22"#
        ),
        (
            "*-*~01/2",
            #"the day "~01/2" can't repeat: with "~" a step counts towards the end of the month, so the start must be larger than the step, e.g. "*-*~07/2""#
        ),
        (
            "2026~12-01",
            #""~" (days counted from the end of the month) can only come between the month and the day, e.g. "*-02~01""#
        ),
        ("2026-12-24-01", #"a date has at most three parts (year-month-day), found "2026-12-24-01""#),
        (
            "12-24:08:00",
            #"unexpected ":08:00" after the date "12-24"; put a space between the date and the time, e.g. "2026-12-24 08:00""#
        ),
        ("Mon.Fri", #"expected ".." between the weekdays of a range, found "Mon.Fri""#),
        (
            "Fri..Mon",
            #"the weekday range "Fri..Mon" runs backwards; weeks run from Mon to Sun, so write "Mon,Fri..Sun""#
        ),
        (
            "Mon..Wed..Fri",
            #"a weekday range can't continue after "Mon..Wed"; separate ranges with ",", e.g. "Mon..Wed,Fri""#
        ),
        ("Mon..", #"the weekday range "Mon.." needs an end, e.g. "Mon..Fri""#),
        (
            "Mon,12:00",
            #"expected a weekday after "Mon,", found "12:00"; separate the weekdays from the date or time with a space, e.g. "Mon,Wed 12:00""#
        ),
        (
            "Mond 12:00",
            #"unknown weekday "Mond"; use Mon, Tue, Wed, Thu, Fri, Sat, Sun or their full names, e.g. "Mon..Fri 08:00""#
        ),
        ("Mon12:00", #"a weekday must be followed by a space, "," or "..", found "Mon12:00""#),
        (
            "every day",
            #"unknown word "every"; expected a shorthand (minutely, hourly, daily, weekly, monthly, quarterly, semiannually, yearly), weekdays (Mon..Fri) or a date and time such as "*-*-* 02:00""#
        ),
        ("5", #"expected ":" and the minutes after the hour "5", e.g. "5:00""#),
        ("12:", #"the minute is missing, e.g. "*:0/15""#),
        ("12:00:00:00", #"unexpected ":00" after the time "12:00:00""#),
        ("8..:00", #"expected a number after ".." for the hour, found ":00", e.g. "*-*-* 23:00""#),
        ("*,1:00", #""*" can't be part of a list or range in the hour; write "*" alone or only numbers"#),
        (
            "02:00 Mars/Base",
            #"unknown time zone "Mars/Base" (there is no /usr/share/zoneinfo/Mars/Base); name a zone such as "Europe/Berlin" or "UTC", or leave it out for local time"#
        ),
        ("02:00 PM", #"AM and PM are not supported; write the time in 24-hour form, e.g. "14:00""#),
        ("02:00 Mon", #"weekdays must come first, e.g. "Mon..Fri 08:00", found "Mon" at the end"#),
        ("@", #"expected a Unix time after "@", e.g. "@1767225600""#),
        ("@-5", #"the time "@-5" is outside the years 1970..2199"#),
    ]

    @Test("each bad expression gets its message", arguments: badExpressions.map(\.expression))
    func refuses(expression: String) throws {
        let expected = Self.badExpressions.first { $0.expression == expression }!.message
        let error = #expect(throws: ScheduleError.self) {
            try CalendarSchedule(parsing: expression, localTimeZone: .utc)
        }
        #expect(error?.message == expected)
        #expect(error?.expression == expression)
        if SystemdCalendarOracle.isAvailable {
            let systemd = try SystemdCalendarOracle.answer(for: expression, timeZone: "UTC", baseTime: 0, iterations: 1)
            #expect(systemd.normalized == nil, "systemd accepts \"\(expression)\" as \(systemd.normalized ?? "")")
        }
    }

    /// systemd reads an abbreviation of the local zone as "standard time (or daylight saving time)
    /// all year", so "02:00 CET" never elapses in summer; it is refused here.
    @Test("a local time zone abbreviation is refused")
    func refusesLocalAbbreviation() throws {
        let berlin = TimeZoneDatabase.rules(forTZ: "Europe/Berlin")
        for expression in ["02:00 CET", "*-*-* 02:00 cest"] {
            let error = #expect(throws: ScheduleError.self) {
                try CalendarSchedule(parsing: expression, localTimeZone: berlin)
            }
            #expect(error?.message.hasPrefix("the time zone abbreviation \"") == true)
            #expect(error?.message.contains("name the zone instead, e.g. \"*-*-* 02:00 Europe/Berlin\"") == true)
        }
        // Elsewhere "CET" is the name of a tz database zone, as for systemd.
        #expect(try CalendarSchedule(parsing: "02:00 CET", localTimeZone: .utc).normalized == "*-*-* 02:00:00 CET")
    }

    @Test("the error names the expression")
    func errorDescription() {
        let error = ScheduleError(expression: "25:00", message: "the hour \"25\" is outside 0..23")
        #expect(error.description == #"invalid schedule "25:00": the hour "25" is outside 0..23"#)
    }
}

@Suite("CalendarSchedule.nextElapse(after:)")
struct NextElapseTests {
    // These expressions name their zone, so the answers don't depend on the local one.

    @Test func strictlyAfterAndFractional() throws {
        let schedule = try CalendarSchedule(parsing: "*-*-* 02:00 UTC")
        let elapse = 1_767_232_800.0  // 2026-01-01 02:00:00 UTC
        #expect(schedule.nextElapse(after: elapse - 0.25) == elapse)
        #expect(schedule.nextElapse(after: elapse) == elapse + 86_400)
        #expect(schedule.nextElapse(after: elapse - 86_400 + 0.000_001) == elapse)

        let halfSeconds = try CalendarSchedule(parsing: "*:*:0/0.5 UTC")
        #expect(halfSeconds.nextElapse(after: 1_767_225_600.1) == 1_767_225_600.5)
        #expect(halfSeconds.nextElapse(after: 1_767_225_600.5) == 1_767_225_601)
    }

    @Test func namedZone() throws {
        let schedule = try CalendarSchedule(parsing: "02:30 Europe/Berlin")
        // 2026-03-29 has no 02:30 in Berlin (02:00 CET → 03:00 CEST): next is 2026-03-30 02:30 CEST.
        #expect(schedule.nextElapse(after: 1_774_740_600) == 1_774_830_600)
        #expect(schedule.normalized == "*-*-* 02:30:00 Europe/Berlin")
    }

    @Test func noElapse() throws {
        #expect(try CalendarSchedule(parsing: "2026-12-24 UTC").nextElapse(after: 1_798_761_600) == nil)
        #expect(try CalendarSchedule(parsing: "*-02-30 UTC").nextElapse(after: 0) == nil)
        #expect(try CalendarSchedule(parsing: "daily UTC").nextElapse(after: .nan) == nil)
        #expect(try CalendarSchedule(parsing: "daily UTC").nextElapse(after: 7_258_118_400) == nil)  // 2200
    }

    @Test func beforeTheEpoch() throws {
        #expect(try CalendarSchedule(parsing: "daily UTC").nextElapse(after: -5) == 0)
        #expect(try CalendarSchedule(parsing: "@0").nextElapse(after: -0.5) == 0)
    }
}

/// The daylight saving time behaviour documented on `CalendarSchedule`, spelled out for
/// Europe/Berlin (the oracle tests check the same against systemd).
@Suite("CalendarSchedule across daylight saving changes")
struct DaylightSavingTests {
    let berlin = TimeZoneDatabase.rules(forTZ: "Europe/Berlin")

    func elapses(_ expression: String, after base: Int, count: Int = 3) throws -> [Int] {
        let schedule = try CalendarSchedule(parsing: expression, localTimeZone: berlin)
        var result: [Int] = []
        var time = base * 1_000_000
        while result.count < count, let next = schedule.nextElapse(afterMicroseconds: time, localTimeZone: berlin) {
            result.append(next / 1_000_000)
            time = next
        }
        return result
    }

    @Test("a time in the spring-forward gap is skipped")
    func springForward() throws {
        let beforeGap = 1_774_740_600  // 2026-03-29 00:30 CET
        // 02:30 doesn't exist on 2026-03-29: the next is 2026-03-30 02:30 CEST.
        #expect(try elapses("02:30", after: beforeGap, count: 1) == [1_774_830_600])
        #expect(try elapses("2026-03-29 02:30", after: beforeGap) == [])
        // 01:30, 01:45 CET, then straight to 03:00 CEST.
        #expect(try elapses("*:0/15", after: beforeGap + 3000) == [1_774_744_200, 1_774_745_100, 1_774_746_000])
    }

    @Test("a time in the fall-back hour elapses in its first pass")
    func fallBack() throws {
        let before = 1_792_884_600  // 2026-10-25 01:30 CEST
        // 02:00 CEST, then 03:00 CET: the second 02:00 (CET) is skipped.
        #expect(try elapses("hourly", after: before) == [1_792_886_400, 1_792_893_600, 1_792_897_200])
        // 02:30 CEST on the 25th, then 02:30 CET on the 26th.
        #expect(try elapses("02:30", after: before, count: 2) == [1_792_888_200, 1_792_978_200])
        // Starting inside the second pass (02:10 CET), 02:30 CET is found.
        #expect(try elapses("02:30", after: 1_792_890_600, count: 1) == [1_792_891_800])
    }
}
