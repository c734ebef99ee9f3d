import Glibc

/// What parsing a feature's text found.
enum ParsedNumber: Equatable {
    /// A number (infinite only when its exponent overflows a `Double`).
    case number(Double)
    /// Nothing but spaces.
    case empty
    /// `nan`, `inf`, `-Infinity` and the like.
    case nonFinite
    /// Anything else that is not a decimal number.
    case notANumber
}

/// Exact decimal parsing from bytes, without building a `String`.
///
/// Accepts surrounding spaces/tabs, an optional `+`/`-`, digits with an optional fraction, and an
/// optional exponent (`1.5e-3`, `.5`, `5.`, `+2E10`). The result is the correctly rounded
/// `Double`: short inputs take Clinger's fast path (an exact integer times an exact power of
/// ten), everything else falls back to `strtod`, which rounds correctly.
enum DecimalParser {
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> ParsedNumber {
        var p = start
        var e = end
        while p < e && (bytes[p] == 0x20 || bytes[p] == 0x09) { p += 1 }
        while e > p && (bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09) { e -= 1 }
        if p == e { return .empty }
        let textStart = p
        var negative = false
        if bytes[p] == UInt8(ascii: "-") || bytes[p] == UInt8(ascii: "+") {
            negative = bytes[p] == UInt8(ascii: "-")
            p += 1
        }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var droppedDigits = false
        var decimalExponent = 0
        var sawDigit = false
        while p < e, case let digit = bytes[p] &- 0x30, digit < 10 {
            sawDigit = true
            if significantDigits < 19 {
                mantissa = mantissa * 10 + UInt64(digit)
                if mantissa != 0 { significantDigits += 1 }
            } else {
                decimalExponent += 1
                if digit != 0 { droppedDigits = true }
            }
            p += 1
        }
        if p < e && bytes[p] == UInt8(ascii: ".") {
            p += 1
            while p < e, case let digit = bytes[p] &- 0x30, digit < 10 {
                sawDigit = true
                if significantDigits < 19 {
                    mantissa = mantissa * 10 + UInt64(digit)
                    if mantissa != 0 { significantDigits += 1 }
                    decimalExponent -= 1
                } else if digit != 0 {
                    droppedDigits = true
                }
                p += 1
            }
        }
        guard sawDigit else { return isNonFiniteWord(bytes, textStart, e) ? .nonFinite : .notANumber }
        if p < e && (bytes[p] | 0x20) == UInt8(ascii: "e") {
            p += 1
            var exponentNegative = false
            if p < e && (bytes[p] == UInt8(ascii: "-") || bytes[p] == UInt8(ascii: "+")) {
                exponentNegative = bytes[p] == UInt8(ascii: "-")
                p += 1
            }
            var exponent = 0
            var sawExponentDigit = false
            while p < e, case let digit = bytes[p] &- 0x30, digit < 10 {
                sawExponentDigit = true
                if exponent < 100_000 { exponent = exponent * 10 + Int(digit) }
                p += 1
            }
            guard sawExponentDigit else { return .notANumber }
            decimalExponent += exponentNegative ? -exponent : exponent
        }
        guard p == e else { return .notANumber }

        if mantissa == 0 { return .number(negative ? -0.0 : 0.0) }
        if !droppedDigits && mantissa <= 1 << 53 && decimalExponent >= -22 && decimalExponent <= 22 {
            var value = Double(mantissa)
            if decimalExponent < 0 {
                value /= powersOfTen[-decimalExponent]
            } else {
                value *= powersOfTen[decimalExponent]
            }
            return .number(negative ? -value : value)
        }
        // May be ±infinity for huge exponents: the caller reports that as out of range.
        return .number(slowPath(bytes, textStart, e))
    }

    /// `strtod` on a NUL-terminated copy (the grammar was already checked).
    private static func slowPath(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double {
        let length = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for i in 0..<length { buffer[i] = CChar(bitPattern: bytes[start + i]) }
            buffer[length] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    private static func isNonFiniteWord(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var p = start
        if p < end && (bytes[p] == UInt8(ascii: "-") || bytes[p] == UInt8(ascii: "+")) { p += 1 }
        var word: [UInt8] = []
        while p < end && word.count < 9 {
            word.append(bytes[p] | 0x20)
            p += 1
        }
        guard p == end else { return false }
        return word == Array("nan".utf8) || word == Array("inf".utf8) || word == Array("infinity".utf8)
    }
}
