/// Converts between instants and wall-clock times in one zone with the exact behaviour of glibc's
/// `localtime_r` and `mktime`, which systemd's calendar code relies on (quirks included).
///
/// glibc's `mktime` remembers the offset of its last result in a process-wide variable and tries it
/// first; for a wall-clock time that occurs twice (the fall-back hour) and no `isDST` preference,
/// that memory decides which of the two it returns. Here the memory belongs to the clock value, so
/// one computation is never disturbed by another thread.
struct ZoneClock {
    let rules: ZoneRules
    /// glibc's `localtime_offset`: the last result minus its wall-clock time read as UTC.
    private var offsetGuess = 0

    init(rules: ZoneRules) {
        self.rules = rules
    }

    /// The wall-clock time at `seconds` since the epoch (`localtime_r`).
    func civilTime(at seconds: Int) -> CivilTime {
        let type = rules.localTimeType(at: seconds)
        return CivilTime(seconds: seconds, utcOffset: type.utcOffset, isDST: type.isDST)
    }

    /// The instant of `time`, with `time` rewritten to the normalized wall-clock time of that instant
    /// (`mktime`); nil, leaving `time` alone, where glibc fails.
    ///
    /// Out-of-range fields carry over. A wall-clock time in a spring-forward gap gives an instant
    /// that far away from it (02:30 in a 02:00→03:00 gap becomes 03:30 or 01:30). `isDST` of 0 or 1
    /// asks for standard or daylight saving time: an ambiguous time takes that reading, and an
    /// unambiguous one of the other kind is shifted by the difference of the two offsets.
    mutating func normalize(_ time: inout CivilTime) -> Int? {
        // The steps and their order are those of glibc's __mktime_internal (glibc 2.36).
        let requestedSecond = time.second
        var requested = time
        requested.second = min(max(time.second, 0), 59)  // leap seconds are matched at :59, then moved back
        let wall = requested.secondsAsUTC
        let isDST = time.isDST

        let firstGuess = wall + offsetGuess
        var t = firstGuess
        var previous = firstGuess
        var beforePrevious = firstGuess
        var previousWasDST = false
        var probesLeft = 6
        var result: CivilTime
        var matched = false
        while true {
            result = civilTime(at: t)
            let error = wall - result.secondsAsUTC
            if error == 0 {
                matched = true
                break
            }
            // Oscillating between two instants: the time falls in a gap. Prefer the reading that
            // differs from the requested one or, with none requested, the daylight saving one.
            if t == beforePrevious && t != previous {
                let resultIsDST = result.isDST != 0
                let stop =
                    result.isDST < 0
                    || (isDST < 0 ? !previousWasDST || resultIsDST : (isDST != 0) != resultIsDST)
                if stop { break }
            }
            probesLeft -= 1
            if probesLeft == 0 { return nil }
            beforePrevious = previous
            previous = t
            t += error
            previousWasDST = result.isDST != 0
        }

        if matched && isDST >= 0 && result.isDST >= 0 && (isDST == 0) != (result.isDST == 0) {
            // The right wall-clock time with the wrong kind of time: use the offset of the nearest
            // instant of the requested kind, probing outwards a week at a time.
            let stride = 601_200
            let bound = 457_243_200 / 2 + stride
            var found = false
            search: for delta in Swift.stride(from: stride, to: bound, by: stride) {
                for direction in [-1, 1] {
                    let probe = civilTime(at: t + delta * direction)
                    if (probe.isDST == 0) == (isDST == 0) {
                        t = t + delta * direction + (wall - probe.secondsAsUTC)
                        result = civilTime(at: t)
                        found = true
                        break search
                    }
                }
            }
            if !found {
                // No such time nearby: assume a one-hour difference.
                t += 3600 * ((isDST == 0 ? 1 : 0) - (result.isDST == 0 ? 1 : 0))
                result = civilTime(at: t)
            }
        }

        offsetGuess = t - firstGuess + offsetGuess
        if requestedSecond != result.second {
            t += requestedSecond - requested.second
            result = civilTime(at: t)
        }
        time = result
        return t
    }
}
