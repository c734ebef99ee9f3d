/// The text of Parquet values (docs/PARQUET.md, "Text rules"), appended as UTF-8 bytes with
/// integer arithmetic only (no Foundation, no time zones).
enum ParquetText {
    static let nanosecondsPerSecond: Int64 = 1_000_000_000
    /// The Julian day of 1970-01-01, for INT96 timestamps.
    static let unixEpochJulianDay: Int64 = 2_440_588

    static func appendInteger<T: BinaryInteger>(_ value: T, to output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        // Work on the magnitude so the minimum value does not overflow.
        let magnitude = value.magnitude
        if let small = UInt64(exactly: magnitude) {
            // Counted by comparison: no division per digit twice over.
            var count = 1
            var bound: UInt64 = 10
            while count < 20 && small >= bound {
                count += 1
                bound &*= 10
            }
            appendDigits(of: small, count: count, to: &output)
            return
        }
        var count = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            count += 1
        }
        appendDigits(of: magnitude, count: count, to: &output)
    }

    /// `value` in exactly `width` digits, zero-padded on the left (the low digits if it has more).
    static func appendPadded(_ value: Int64, width: Int, to output: inout [UInt8]) {
        appendDigits(of: value.magnitude, count: width, to: &output)
    }

    /// The low `count` decimal digits of `value`, made on the stack and appended in one copy
    /// (this runs once per echoed value: no allocation, one capacity check).
    @inline(__always)
    private static func appendDigits<T: BinaryInteger>(of value: T, count: Int, to output: inout [UInt8]) {
        guard count <= 40 else {
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count - 40))
            return appendDigits(of: value, count: 40, to: &output)
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            var rest = value
            for index in stride(from: count - 1, through: 0, by: -1) {
                digits[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[0..<count]))
        }
    }

    /// Shortest text that reads back to the same value (Swift's `description`), with `inf`,
    /// `-inf` and `nan` for the special values.
    static func appendFloatingPoint<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T, to output: inout [UInt8]) {
        if value.isNaN {
            output.append(contentsOf: "nan".utf8)
        } else if value.isInfinite {
            output.append(contentsOf: value < 0 ? "-inf".utf8 : "inf".utf8)
        } else {
            output.append(contentsOf: value.description.utf8)
        }
    }

    /// Year, month and day of `days` since 1970-01-01 (proleptic Gregorian, Howard Hinnant's
    /// civil-from-days).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `YYYY-MM-DD` (years outside 0...9999 as plain signed numbers).
    static func appendDate(days: Int64, to output: inout [UInt8]) {
        let (year, month, day) = civil(fromDays: days)
        if year >= 0 && year <= 9999 {
            appendPadded(year, width: 4, to: &output)
        } else {
            appendInteger(year, to: &output)
        }
        output.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2, to: &output)
        output.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2, to: &output)
    }

    /// `HH:MM:SS` then `.` and exactly `digits` fraction digits (none when `digits` is 0).
    static func appendTimeOfDay(seconds: Int64, fraction: Int64, digits: Int, to output: inout [UInt8]) {
        appendPadded(seconds / 3600, width: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendPadded(seconds / 60 % 60, width: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendPadded(seconds % 60, width: 2, to: &output)
        if digits > 0 {
            output.append(UInt8(ascii: "."))
            appendPadded(fraction, width: digits, to: &output)
        }
    }

    /// RFC 3339: `2024-01-02T03:04:05.123456` with the unit's fraction digits (3, 6 or 9, trailing
    /// zeros kept), then `Z` when the value is UTC-adjusted.
    static func appendTimestamp(_ value: Int64, perSecond: Int64, digits: Int, utc: Bool, to output: inout [UInt8]) {
        var seconds = value / perSecond
        var fraction = value % perSecond
        if fraction < 0 {
            fraction += perSecond
            seconds -= 1
        }
        var days = seconds / 86400
        var secondOfDay = seconds % 86400
        if secondOfDay < 0 {
            secondOfDay += 86400
            days -= 1
        }
        appendDate(days: days, to: &output)
        output.append(UInt8(ascii: "T"))
        appendTimeOfDay(seconds: secondOfDay, fraction: fraction, digits: digits, to: &output)
        if utc { output.append(UInt8(ascii: "Z")) }
    }

    /// INT96 (nanoseconds of the day, then the Julian day) as an RFC 3339 UTC timestamp in nanoseconds.
    static func appendInt96(nanosecondsOfDay: Int64, julianDay: Int32, to output: inout [UInt8]) {
        var days = Int64(julianDay) - unixEpochJulianDay
        var seconds = nanosecondsOfDay / nanosecondsPerSecond
        var fraction = nanosecondsOfDay % nanosecondsPerSecond
        if fraction < 0 {
            fraction += nanosecondsPerSecond
            seconds -= 1
        }
        days += seconds / 86400
        seconds %= 86400
        if seconds < 0 {
            seconds += 86400
            days -= 1
        }
        appendDate(days: days, to: &output)
        output.append(UInt8(ascii: "T"))
        appendTimeOfDay(seconds: seconds, fraction: fraction, digits: 9, to: &output)
        output.append(UInt8(ascii: "Z"))
    }

    /// Plain digits with exactly `scale` fraction digits: `-12.50`, `0.05`, `7`.
    static func appendDecimal(_ unscaled: Int128, scale: Int, to output: inout [UInt8]) {
        if unscaled < 0 { output.append(UInt8(ascii: "-")) }
        var digits: [UInt8] = []
        var magnitude = unscaled.magnitude
        while magnitude > 0 {
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
            digits.append(UInt8(ascii: "0") + UInt8(remainder))
            magnitude = quotient
        }
        while digits.count <= scale { digits.append(UInt8(ascii: "0")) }
        for index in stride(from: digits.count - 1, through: 0, by: -1) {
            output.append(digits[index])
            if index == scale && scale > 0 { output.append(UInt8(ascii: ".")) }
        }
    }

    /// A big-endian two's-complement integer of 1...16 bytes.
    @inline(__always)
    static func bigEndianInteger(_ bytes: UnsafeRawBufferPointer) -> Int128 {
        guard let first = bytes.first else { return 0 }
        var value: Int128 = Int128(Int8(bitPattern: first))
        for byte in bytes.dropFirst() { value = value << 8 | Int128(byte) }
        return value
    }
}
