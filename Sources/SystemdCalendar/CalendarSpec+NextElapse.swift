extension CalendarSpec {
    /// The last year systemd searches (MAX_YEAR).
    static let maximumYear = 2199
    /// systemd's USEC_TIMESTAMP_FORMATTABLE_MAX: 9999-12-30 23:59:59 UTC.
    static let latestMicroseconds = 253_402_214_399_000_000
    /// systemd's MAX_CALENDAR_ITERATIONS: a search that takes longer gives up.
    static let maximumSearchSteps = 1000

    /// The first elapse at or after `candidate` microseconds since the epoch (systemd's
    /// calendar_spec_next_usec() with `candidate - 1`), or nil if there is none.
    ///
    /// This follows systemd 252's find_next() step by step (Debian's 252.39), with glibc's
    /// `localtime_r`/`mktime` reproduced by `ZoneClock`: the daylight saving time behaviour is
    /// whatever falls out of that walk (see `CalendarSchedule`), so it is reproduced rather than
    /// redesigned.
    func firstElapse(atOrAfter candidate: Int, localTimeZone: ZoneRules) -> Int? {
        guard candidate >= 0, candidate - 1 <= Self.latestMicroseconds else { return nil }
        var clock: ZoneClock
        switch timeZone {
        case .local: clock = ZoneClock(rules: localTimeZone)
        case .utc: clock = ZoneClock(rules: .utc)
        case .named(let name): clock = ZoneClock(rules: TimeZoneDatabase.rules(ofZoneNamed: name))
        }
        var time = clock.civilTime(at: candidate / Self.microsecondsPerSecond)
        var microsecond = candidate % Self.microsecondsPerSecond
        guard findNext(&time, microsecond: &microsecond, clock: &clock),
            let seconds = clock.normalize(&time), seconds >= 0
        else { return nil }
        return seconds * Self.microsecondsPerSecond + microsecond
    }

    /// Moves `time` to the first matching wall-clock time at or after it (systemd's find_next()).
    private func findNext(_ time: inout CivilTime, microsecond: inout Int, clock: inout ZoneClock) -> Bool {
        var c = time
        var micro = microsecond
        // Set once a match turned out not to be after the start (mktime moved a time in a gap
        // backwards): from then on the daylight saving flag of the last normalization is kept,
        // which makes mktime resolve the gap the other way.
        var keepsDSTFlag = false
        for _ in 0..<Self.maximumSearchSteps {
            _ = clock.normalize(&c)
            if !keepsDSTFlag { c.isDST = -1 }

            var r = matchingValue(years, &c.year, in: c, clock: &clock)
            if r > 0 {
                c.month = 1
                c.day = 1
                (c.hour, c.minute, c.second, micro) = (0, 0, 0, 0)
            }
            if r < 0 || withinBounds(&c, clock: &clock) <= 0 { return false }

            r = matchingValue(months, &c.month, in: c, clock: &clock)
            if r > 0 {
                c.day = 1
                (c.hour, c.minute, c.second, micro) = (0, 0, 0, 0)
            }
            if r >= 0 { r = withinBounds(&c, clock: &clock) }
            if r < 0 {
                c.year += 1
                c.month = 1
                c.day = 1
                (c.hour, c.minute, c.second, micro) = (0, 0, 0, 0)
                continue
            }
            if r == 0 { continue }

            r = matchingValue(days, &c.day, in: c, clock: &clock, fromEndOfMonth: daysFromEndOfMonth)
            if r > 0 { (c.hour, c.minute, c.second, micro) = (0, 0, 0, 0) }
            if r >= 0 { r = withinBounds(&c, clock: &clock) }
            if r < 0 {
                c.month += 1
                c.day = 1
                (c.hour, c.minute, c.second, micro) = (0, 0, 0, 0)
                continue
            }
            if r == 0 { continue }

            if !matchesWeekday(c, clock: &clock) {
                c.day += 1
                (c.hour, c.minute, c.second, micro) = (0, 0, 0, 0)
                continue
            }

            r = matchingValue(hours, &c.hour, in: c, clock: &clock)
            if r > 0 { (c.minute, c.second, micro) = (0, 0, 0) }
            if r >= 0 { r = withinBounds(&c, clock: &clock) }
            if r < 0 {
                c.day += 1
                (c.hour, c.minute, c.second, micro) = (0, 0, 0, 0)
                continue
            }
            // The hour just set may not exist (a spring-forward gap): start again from the normalized time.
            if r == 0 { continue }

            r = matchingValue(minutes, &c.minute, in: c, clock: &clock)
            if r > 0 { (c.second, micro) = (0, 0) }
            if r >= 0 { r = withinBounds(&c, clock: &clock) }
            if r < 0 {
                c.hour += 1
                (c.minute, c.second, micro) = (0, 0, 0)
                continue
            }
            if r == 0 { continue }

            var secondMicroseconds = c.second * Self.microsecondsPerSecond + micro
            r = matchingValue(microseconds, &secondMicroseconds, in: c, clock: &clock)
            micro = secondMicroseconds % Self.microsecondsPerSecond
            c.second = secondMicroseconds / Self.microsecondsPerSecond
            if r >= 0 { r = withinBounds(&c, clock: &clock) }
            if r < 0 {
                c.minute += 1
                (c.second, micro) = (0, 0)
                continue
            }
            if r == 0 { continue }

            var order = Self.compareFields(time, c)
            if order == 0 { order = microsecond < micro + 1 ? -1 : (microsecond == micro + 1 ? 0 : 1) }
            if order >= 0 {
                // Stuck at or before the start: advance and let mktime settle the transition.
                keepsDSTFlag = true
                c.hour += 1
                continue
            }

            time = c
            microsecond = micro
            return true
        }
        return false
    }

    /// Sets `value` to the smallest allowed value at or above it (find_matching_component()):
    /// 1 if it changed, 0 if it was allowed, -1 if nothing is; an empty list allows anything.
    private func matchingValue(
        _ components: [CalendarComponent], _ value: inout Int, in time: CivilTime, clock: inout ZoneClock,
        fromEndOfMonth: Bool = false
    ) -> Int {
        guard !components.isEmpty else { return 0 }
        var best: Int?
        for component in components {
            var start = component.start
            var stop = component.stop
            if fromEndOfMonth {
                start = dayCountedFromEnd(component.start, of: time, clock: &clock)
                stop = dayCountedFromEnd(component.stop, of: time, clock: &clock)
                if stop > 0 { swap(&start, &stop) }
            }
            if start >= value {
                if best.map({ start < $0 }) ?? true { best = start }
            } else if component.step > 0 {
                let next = start + component.step * ((value - start + component.step - 1) / component.step)
                if (best.map { next < $0 } ?? true) && (stop < 0 || next <= stop) { best = next }
            }
        }
        guard let best else { return -1 }
        defer { value = best }
        return value != best ? 1 : 0
    }

    /// The day of the month that is `day` days back from its end, 1 being the last day
    /// (find_end_of_month()), or -1.
    private func dayCountedFromEnd(_ day: Int, of time: CivilTime, clock: inout ZoneClock) -> Int {
        var t = time
        t.month += 1
        t.day = 1 - day
        guard let seconds = clock.normalize(&t), seconds >= 0, t.month == time.month else { return -1 }
        return t.day
    }

    /// Normalizes `time` (tm_within_bounds()): -1 if it is past the last year or can't be
    /// normalized or normalizing would go back; 1 if it was already normal; 0 if it carried over,
    /// with `time` moved to the start of the field that changed.
    private func withinBounds(_ time: inout CivilTime, clock: inout ZoneClock) -> Int {
        guard time.year <= Self.maximumYear else { return -1 }
        var t = time
        guard let seconds = clock.normalize(&t), seconds >= 0 else { return -1 }
        let order: Int
        if t.year != time.year {
            order = t.year < time.year ? -1 : 1
            t.month = 1
        } else if t.month != time.month {
            order = t.month < time.month ? -1 : 1
            t.day = 1
        } else if t.day != time.day {
            order = t.day < time.day ? -1 : 1
            t.hour = 0
        } else if t.hour != time.hour {
            order = t.hour < time.hour ? -1 : 1
            t.minute = 0
        } else if t.minute != time.minute {
            order = t.minute < time.minute ? -1 : 1
            t.second = 0
        } else {
            order = t.second == time.second ? 0 : (t.second < time.second ? -1 : 1)
        }
        if order < 0 { return -1 }  // systemd refuses to go backwards (EDEADLK)
        if order > 0 { time = t }
        return order == 0 ? 1 : 0
    }

    /// The order of two times by their fields from year to second (tm_compare()).
    private static func compareFields(_ a: CivilTime, _ b: CivilTime) -> Int {
        let left = [a.year, a.month, a.day, a.hour, a.minute, a.second]
        let right = [b.year, b.month, b.day, b.hour, b.minute, b.second]
        for (x, y) in zip(left, right) where x != y {
            return x < y ? -1 : 1
        }
        return 0
    }

    private func matchesWeekday(_ time: CivilTime, clock: inout ZoneClock) -> Bool {
        guard weekdays >= 0 && weekdays < Self.allWeekdays else { return true }
        var t = time
        guard let seconds = clock.normalize(&t), seconds >= 0 else { return false }
        let mondayBased = t.weekday == 0 ? 6 : t.weekday - 1
        return weekdays & (1 << mondayBased) != 0
    }
}
