public import SystemdCalendar

/// When a pipeline runs its queued files.
public enum Schedule: Sendable, Equatable, CustomStringConvertible {
    /// As soon as a file is complete.
    case immediate
    /// At the elapses of a systemd calendar expression.
    case calendar(CalendarSchedule)

    /// Parses `immediate` or a systemd calendar expression (`daily`, `Mon..Fri 06:00`, `*-*-* 02:00`).
    /// - Throws: `ScheduleError` naming the part that is wrong and giving a valid example.
    public init(parsing text: String) throws(ScheduleError) {
        if text.lowercased() == "immediate" {
            self = .immediate
            return
        }
        do {
            self = .calendar(try CalendarSchedule(parsing: text))
        } catch {
            // A single unknown word: most likely a misspelt keyword.
            guard !text.isEmpty,
                text.utf8.allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") })
            else { throw error }
            throw ScheduleError(
                expression: text,
                message: "unknown schedule \"\(text)\"; expected \"immediate\", a shorthand ("
                    + CalendarSchedule.shorthands.joined(separator: ", ")
                    + ") or a calendar expression such as \"Mon..Fri 06:00\"")
        }
    }

    /// `immediate`, or the calendar expression's normalized form.
    public var description: String {
        switch self {
        case .immediate: "immediate"
        case .calendar(let schedule): schedule.normalized
        }
    }
}
