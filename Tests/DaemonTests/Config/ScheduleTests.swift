import SystemdCalendar
import Testing

@testable import InferWatcherDaemon

@Suite("Schedule")
struct ScheduleTests {
    @Test func immediate() throws {
        #expect(try Schedule(parsing: "immediate") == .immediate)
        #expect(try Schedule(parsing: "Immediate") == .immediate)
        #expect(Schedule.immediate.description == "immediate")
    }

    @Test func calendar() throws {
        let schedule = try Schedule(parsing: "Mon..Fri 06:00")
        #expect(schedule.description == "Mon..Fri *-*-* 06:00:00")
        #expect(schedule == .calendar(try CalendarSchedule(parsing: "Mon-Fri *-*-* 6:00:00")))
        #expect(try Schedule(parsing: "daily") == Schedule(parsing: "*-*-* 00:00:00"))
        #expect(try Schedule(parsing: "daily") != Schedule(parsing: "hourly"))
    }

    @Test func misspeltKeyword() {
        let error = #expect(throws: ScheduleError.self) { try Schedule(parsing: "immediatly") }
        #expect(
            error?.message
                == #"unknown schedule "immediatly"; expected "immediate", a shorthand (minutely, hourly, daily, weekly, monthly, quarterly, semiannually, yearly) or a calendar expression such as "Mon..Fri 06:00""#
        )
        let calendarError = #expect(throws: ScheduleError.self) { try Schedule(parsing: "25:00") }
        #expect(calendarError?.message == #"the hour "25" is outside 0..23, e.g. "*-*-* 23:00""#)
    }
}
