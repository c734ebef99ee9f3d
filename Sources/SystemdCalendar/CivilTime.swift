/// A broken-down wall-clock time, with the meaning of C's `struct tm` except that `year` is the
/// full year and `month` counts from 1.
///
/// Fields may hold out-of-range values (day 32, minute 60, month 13) on their way into
/// `ZoneClock.normalize(_:)`, which carries them over exactly as glibc's `mktime` does.
struct CivilTime: Equatable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// 0 is Sunday, 6 is Saturday. Set by conversions, ignored on input.
    var weekday = 0
    /// Positive: daylight saving time; zero: standard time; negative: not known, let the conversion decide.
    var isDST = -1
    /// Seconds east of UTC. Set by conversions, ignored on input.
    var utcOffset = 0
}

extension CivilTime {
    static let secondsPerDay = 86_400

    /// The wall-clock time `utcOffset` seconds east of UTC at `seconds` since the epoch.
    init(seconds: Int, utcOffset: Int, isDST: Bool) {
        let local = seconds + utcOffset
        let days = Self.floorDivide(local, Self.secondsPerDay)
        let secondOfDay = local - days * Self.secondsPerDay
        let date = Self.date(fromDays: days)
        self.init(
            year: date.year, month: date.month, day: date.day,
            hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60, second: secondOfDay % 60,
            weekday: Self.floorModulo(days + 4, 7),  // 1970-01-01 was a Thursday
            isDST: isDST ? 1 : 0, utcOffset: utcOffset)
    }

    /// The fields read as UTC, in seconds since the epoch; out-of-range fields carry over
    /// (month 13 is January of the next year, day 0 the last day of the previous month).
    var secondsAsUTC: Int {
        let monthIndex = month - 1
        let fullYear = year + Self.floorDivide(monthIndex, 12)
        let days = Self.days(year: fullYear, month: Self.floorModulo(monthIndex, 12) + 1, day: 1) + day - 1
        return ((days * 24 + hour) * 60 + minute) * 60 + second
    }

    /// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (month 1...12).
    static func days(year: Int, month: Int, day: Int) -> Int {
        // Howard Hinnant's days_from_civil: years start in March, so the leap day comes last.
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01, the inverse of `days(year:month:day:)`.
    static func date(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension CivilTime {
    /// Division rounding towards minus infinity (Swift's `/` truncates towards zero).
    static func floorDivide(_ a: Int, _ b: Int) -> Int {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    /// The remainder that goes with `floorDivide`: it has the sign of `b`.
    static func floorModulo(_ a: Int, _ b: Int) -> Int {
        a - floorDivide(a, b) * b
    }
}
