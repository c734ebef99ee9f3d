/// One element of a calendar expression's list for a field: a value, a range `start..stop`, and an
/// optional step, as systemd stores it (`CalendarComponent` in calendarspec.c).
struct CalendarComponent: Sendable, Equatable, Comparable {
    var start: Int
    /// The end of a range, or -1 for none.
    var stop = -1
    /// The step between repetitions, or 0 for none. A range without a step repeats every unit.
    var step = 0

    static func < (a: Self, b: Self) -> Bool {
        (a.start, a.stop, a.step) < (b.start, b.stop, b.step)
    }
}

/// Where the wall-clock times of a calendar expression are read.
enum ScheduleTimeZone: Sendable, Equatable {
    /// The local time zone (`TZ`, else `/etc/localtime`), looked up at every computation.
    case local
    case utc
    /// A tz database zone such as `Europe/Berlin`.
    case named(String)
}

/// A parsed, normalized calendar expression: the allowed values of each field.
///
/// An empty list allows every value. Microseconds count from the start of the minute, so the
/// seconds field `30.5` is 30_500_000.
struct CalendarSpec: Sendable, Equatable {
    /// Bit 0 is Monday ... bit 6 Sunday; -1 allows every day.
    var weekdays = -1
    var years: [CalendarComponent] = []
    var months: [CalendarComponent] = []
    var days: [CalendarComponent] = []
    var hours: [CalendarComponent] = []
    var minutes: [CalendarComponent] = []
    var microseconds: [CalendarComponent] = [CalendarComponent(start: 0)]
    /// Whether `days` count back from the last day of the month (`~`): 1 is the last day.
    var daysFromEndOfMonth = false
    var timeZone = ScheduleTimeZone.local

    static let microsecondsPerSecond = 1_000_000
    static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let allWeekdays = 0b111_1111

    /// Sorts each list and drops duplicates; an empty or full weekday set becomes "every day".
    mutating func normalize() {
        if weekdays <= 0 || weekdays >= Self.allWeekdays { weekdays = -1 }
        if daysFromEndOfMonth && days.isEmpty { daysFromEndOfMonth = false }
        let fields: [WritableKeyPath<Self, [CalendarComponent]>] = [
            \.years, \.months, \.days, \.hours, \.minutes, \.microseconds,
        ]
        for path in fields {
            var seen: [CalendarComponent] = []
            for component in self[keyPath: path].sorted() where seen.last != component {
                seen.append(component)
            }
            self[keyPath: path] = seen
        }
    }

    /// The form `systemd-analyze calendar` prints as "Normalized form:" (calendar_spec_to_string()).
    var normalized: String {
        var text = ""
        if weekdays > 0 && weekdays <= Self.allWeekdays {
            text += formattedWeekdays + " "
        }
        text += Self.format(years, width: 4) + "-" + Self.format(months, width: 2)
        text += (daysFromEndOfMonth ? "~" : "-") + Self.format(days, width: 2)
        text += " " + Self.format(hours, width: 2) + ":" + Self.format(minutes, width: 2)
        text += ":" + Self.format(microseconds, width: 2, unit: Self.microsecondsPerSecond)
        switch timeZone {
        case .local: break
        case .utc: text += " UTC"
        case .named(let name): text += " " + name
        }
        return text
    }

    /// Runs of three or more days as `Mon..Wed`, shorter ones as lists.
    private var formattedWeekdays: String { Self.weekdayList(weekdays) }

    /// The weekdays of `bits` (bit 0 Monday) as systemd writes them: `Mon,Wed..Fri`.
    static func weekdayList(_ bits: Int) -> String {
        var parts: [String] = []
        var day = 0
        while day < 7 {
            guard bits & (1 << day) != 0 else {
                day += 1
                continue
            }
            var last = day
            while last + 1 < 7 && bits & (1 << (last + 1)) != 0 { last += 1 }
            switch last - day {
            case 0: parts.append(weekdayNames[day])
            case 1: parts.append(weekdayNames[day] + "," + weekdayNames[last])
            default: parts.append(weekdayNames[day] + ".." + weekdayNames[last])
            }
            day = last + 1
        }
        return parts.joined(separator: ",")
    }

    private static func format(_ components: [CalendarComponent], width: Int, unit: Int = 1) -> String {
        // An empty list, or (for seconds) any element that matches every second, prints as "*".
        if components.isEmpty || (unit > 1 && components.contains { $0.start == 0 && $0.stop < 0 && $0.step == unit }) {
            return "*"
        }
        return components.map { component in
            var text = padded(component.start / unit, width: width) + fraction(component.start % unit)
            if component.stop > 0 {
                text += ".." + padded(component.stop / unit, width: width)
            }
            if component.stop > 0 {
                text += fraction(component.stop % unit)
            }
            if component.step > 0 && !(component.stop > 0 && component.step == unit) {
                text += "/" + String(component.step / unit)
            }
            text += fraction(component.step % unit)
            return text
        }.joined(separator: ",")
    }

    private static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// ".%06i" for a nonzero microsecond remainder.
    private static func fraction(_ microseconds: Int) -> String {
        guard microseconds > 0 else { return "" }
        return "." + padded(microseconds, width: 6)
    }
}
