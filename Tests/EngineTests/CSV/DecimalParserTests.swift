import Glibc
import Testing

@testable import Engine

func parseNumber(_ text: String) -> ParsedNumber {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { DecimalParser.parse($0, 0, $0.count) }
}

@Suite("Decimal parser")
struct DecimalParserTests {
    @Test("decimal and scientific notation, signs and surrounding spaces")
    func accepted() {
        #expect(parseNumber("42") == .number(42))
        #expect(parseNumber("-3.25") == .number(-3.25))
        #expect(parseNumber("+7") == .number(7))
        #expect(parseNumber("  1.5  ") == .number(1.5))
        #expect(parseNumber("\t2\t") == .number(2))
        #expect(parseNumber(" \t 247.24352354891235\t ") == .number(247.24352354891235))
        #expect(parseNumber("1e3") == .number(1000))
        #expect(parseNumber("2.5E-2") == .number(0.025))
        #expect(parseNumber("+1.e+2") == .number(100))
        #expect(parseNumber(".5") == .number(0.5))
        #expect(parseNumber("5.") == .number(5))
        #expect(parseNumber("0") == .number(0))
        #expect(parseNumber("-0.0") == .number(-0.0))
        #expect(parseNumber("000123.4500") == .number(123.45))
        #expect(parseNumber("0.00012345678901234567") == .number(0.00012345678901234567))
        #expect(parseNumber("12345678.12345678") == .number(12345678.12345678))
    }

    @Test("negative zero keeps its sign")
    func negativeZero() {
        for text in ["-0", "-0.0", "-.0", "-0e10", "-0.000e-400", "-1e-400", "-2e-324"] {
            guard case .number(let value) = parseNumber(text) else {
                Issue.record("\(text) is not a number")
                continue
            }
            #expect(value == 0 && value.sign == .minus, "\(text)")
        }
    }

    @Test("empty, non-finite and malformed values are told apart")
    func rejected() {
        #expect(parseNumber("") == .empty)
        #expect(parseNumber("   ") == .empty)
        #expect(parseNumber(" \t ") == .empty)
        #expect(parseNumber("nan") == .nonFinite)
        #expect(parseNumber("NaN") == .nonFinite)
        #expect(parseNumber(" -nan ") == .nonFinite)
        #expect(parseNumber("-inf") == .nonFinite)
        #expect(parseNumber("+INF") == .nonFinite)
        #expect(parseNumber("Infinity") == .nonFinite)
        #expect(parseNumber("-Infinity") == .nonFinite)
        let bad = [
            "abc", "1,5", "1.2.3", "e5", "1e", "1e+", "1e-", "--1", "+-1", "+", "-", ".", "-.", ".e1", "1 2",
            "0x10", "1_000", "١٢", "infinit", "infinityy", "nan1", "1nan", "1e5.0", "12345678901234567a",
            "1234567890123456789012345x", "1.23456789012345678e", "1e1e1", "++inf", "in f", "1\u{0}",
        ]
        for text in bad {
            #expect(parseNumber(text) == .notANumber, "\(text)")
        }
    }

    @Test("long mantissas and large exponents take the exact slow path")
    func slowPath() {
        #expect(parseNumber("1e400") == .number(.infinity))
        #expect(parseNumber("-1e400") == .number(-.infinity))
        #expect(parseNumber("1e-400") == .number(0))
        #expect(parseNumber("12345678901234567890123") == .number(12345678901234567890123.0))
        #expect(parseNumber("0.1000000000000000055511151231257827") == .number(0.1))
        #expect(parseNumber("9007199254740993") == .number(9007199254740992))
    }

    @Test("the eight-digit SWAR helpers and the digit-run reader agree with a byte-by-byte check")
    func eightDigitHelpers() {
        var generator = SplitMix64(seed: 11)
        let interesting: [UInt8] = [0x00, 0x2F, 0x30, 0x35, 0x39, 0x3A, 0x7F, 0x80, 0xAF, 0xB0, 0xB9, 0xBA, 0xC9, 0xCA, 0xFF]
        var failures = 0
        for _ in 0..<200_000 {
            var bytes: [UInt8] = []
            for _ in 0..<8 {
                switch generator.next() % 4 {
                case 0: bytes.append(interesting[Int(generator.next() % UInt64(interesting.count))])
                case 1: bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                default: bytes.append(0x30 + UInt8(generator.next() % 10))
                }
            }
            let chunk = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }  // bytes[0] lowest
            let allDigits = bytes.allSatisfy { (0x30...0x39).contains($0) }
            if DecimalParser.isEightDigits(chunk) != allDigits { failures += 1 }
            let expectedValue = bytes.reduce(UInt64(0)) { $0 * 10 + UInt64($1 &- 0x30) }
            if allDigits && DecimalParser.eightDigitsValue(chunk) != expectedValue { failures += 1 }
            // The lowest non-digit flag is exactly the first non-digit, and the digits before it
            // are read as one number.
            let run = bytes.firstIndex { !(0x30...0x39).contains($0) } ?? 8
            let flags = DecimalParser.nonDigitBytes(chunk)
            if (flags == 0 ? 8 : flags.trailingZeroBitCount >> 3) != run { failures += 1 }
            var mantissa: UInt64 = 0
            let end = bytes.withUnsafeBufferPointer { DecimalParser.accumulateDigits($0, from: 0, to: 8, into: &mantissa) }
            let expectedRun = bytes[..<run].reduce(UInt64(0)) { $0 * 10 + UInt64($1 &- 0x30) }
            if end != run || mantissa != expectedRun { failures += 1 }
        }
        #expect(failures == 0)
        #expect(DecimalParser.eightDigitsValue(0x3938_3736_3534_3332) == 23_456_789)  // "23456789"
        #expect(DecimalParser.eightDigitsValue(0x3030_3030_3030_3030) == 0)
        #expect(DecimalParser.eightDigitsValue(0x3939_3939_3939_3939) == 99_999_999)
        var mantissa: UInt64 = 7
        let end = Array("3456,789".utf8).withUnsafeBufferPointer { DecimalParser.accumulateDigits($0, from: 0, to: 8, into: &mantissa) }
        #expect(end == 4 && mantissa == 73456)
    }

    @Test("known hard cases match strtod")
    func hardCases() {
        let cases = [
            "9007199254740993", "9007199254740992.5", "9007199254740993.0000000001", "9007199254740994.5",
            "9007199254740995", "18014398509481985", "18014398509481986", "18014398509481987",
            "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072013e-308",
            "2.2250738585072014e-308", "2.225073858507201e-308", "2.2250738585072009e-308",
            "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
            "2.4703282292062327208828439643e-324", "5e-324", "3e-324", "1e-323", "7.4109846876186982e-324",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
            "1.797693134862315708145274237317043567981e308", "1.797693134862315807937289714053e308",
            "179769313486231580793728971405301e276", "7.038531e-26", "8.533e+68", "4.1006e-184",
            "9.998e+307", "9.9538452227e-280", "6.47660115e-260", "7.4e+47", "5.92e+48", "7.35e+66",
            "8.32116e+55", "1.448997445238699", "3.0540412e5", "1.2e-307", "1e23", "8.988465674311579e307",
            "2.9802322387695312e-8", "0.1", "0.2", "0.3", "1.1", "123456789012345678", "9999999999999999999",
            "99999999999999999999", "10000000000000000000", "18446744073709551615", "18446744073709551616",
            "1e-342", "1e-343", "9.999999999999999999e-343", "1e308", "1e309", "1e-324", "1e-325",
            "4.4501477170144023e-308", "4.4501477170144022e-308", "2.2250738585072e-308",
            "1.00000000000000011102230246251565404236316680908203125", "1.0000000000000001110223024625156540423",
            "1.00000000000000011102230246251565404236316680908203124", "0.500000000000000166533453693773481063544750213623046875",
            "3.518437208883201171875e13", "62.5364939768271845828", "8.10109172351e-10",
            "1.50000000000000011102230246251565404236316680908203125",
            "1090544144181609348671888949248", "1090544144181609348835077142190", "4503599627370496.5",
            "4503599627370497.5", "9223372036854775807", "9223372036854775808", "0.000000000000000000000000000000001",
            "1e22", "1e-22", "9007199254740992e22", "9007199254740993e-22", "123456789012345678901234567890e-40",
        ]
        for text in cases {
            let expected = strtod(text, nil)
            guard case .number(let value) = parseNumber(text) else {
                Issue.record("\(text) is not a number")
                continue
            }
            #expect(value.bitPattern == expected.bitPattern, "\(text): \(value) vs strtod \(expected)")
            #expect(parseNumber("-" + text) == .number(-expected), "-\(text)")
        }
    }

    @Test("exponents too long to read exactly still match strtod")
    func hugeExponents() {
        let zeros = String(repeating: "0", count: 100_010)
        let cases = [
            "1e1000000", "1e-1000000", "1e99999999999999999999999", "1e-99999999999999999999999",
            "0e99999999999", "1\(zeros)e-1000000", "0.\(zeros)1e1000000", "1\(zeros)e-100020",
            "0.\(zeros)1e100005", "1e+0000000000000000000000000000001", "1.5e-0000000000000000000000000000002",
        ]
        for text in cases {
            let expected = strtod(text, nil)
            guard case .number(let value) = parseNumber(text) else {
                Issue.record("\(text.prefix(30)) is not a number")
                continue
            }
            #expect(value.bitPattern == expected.bitPattern, "\(text.prefix(30))…: \(value) vs strtod \(expected)")
        }
    }

    @Test("matches strtod on 100,000 random decimals")
    func matchesStrtod() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<100_000 {
            let digits = Int(generator.next() % 20) + 1
            var text = generator.next() % 2 == 0 ? "-" : ""
            for i in 0..<digits {
                text.append(Character(Unicode.Scalar(UInt8(48 + generator.next() % 10))))
                if i == Int(generator.next() % UInt64(digits)) && !text.contains(".") { text.append(".") }
            }
            if generator.next() % 4 == 0 { text += "e\(Int(generator.next() % 80) - 40)" }
            let expected = strtod(text, nil)
            #expect(parseNumber(text) == .number(expected), "\(text)")
        }
    }

    // MARK: Bit-for-bit against strtod on generated inputs (1,400,000 in all)

    @Test("1-19 digit mantissas, any point position, exponents over the whole range")
    func randomMantissasAndExponents() {
        let result = compareWithStrtod(400_000, seed: 1) { generator, text in
            appendSign(&generator, &text)
            let digits = Int(generator.next() % 19) + 1
            let point = generator.next() % 3 == 0 ? -1 : Int(generator.next() % UInt64(digits + 1))
            for i in 0..<digits {
                if i == point { text.append(UInt8(ascii: ".")) }
                text.append(0x30 + UInt8(generator.next() % 10))
            }
            if point == digits { text.append(UInt8(ascii: ".")) }
            if generator.next() % 8 != 0 {
                // A written exponent that puts the value anywhere from far below the smallest
                // subnormal to far above the largest double.
                appendExponent(&generator, &text, Int(generator.next() % 720) - 370)
            }
        }
        #expect(result.checked == 400_000)
        #expect(result.failures.isEmpty, "\(result.failures)")
    }

    @Test("numpy-repr-like values: String(Double.random(in: 10..<500)) round-trips")
    func numpyLike() {
        var roundTripFailures: [String] = []
        let result = compareWithStrtod(200_000, seed: 2) { generator, text in
            let value = Double.random(in: 10..<500, using: &generator)
            let repr = generator.next() % 2 == 0 ? String(value) : String(-value)
            text.append(contentsOf: repr.utf8)
            if parseNumber(repr) != .number(Double(repr)!) { roundTripFailures.append(repr) }
        }
        #expect(result.checked == 200_000)
        #expect(result.failures.isEmpty, "\(result.failures)")
        #expect(roundTripFailures.isEmpty, "\(roundTripFailures.prefix(10))")
    }

    @Test("shortest representations of random doubles of every magnitude, subnormals included")
    func shortestRepresentations() {
        let result = compareWithStrtod(200_000, seed: 3) { generator, text in
            var bits = generator.next()
            if generator.next() % 4 == 0 { bits &= 0x800F_FFFF_FFFF_FFFF }  // subnormal (or zero)
            var value = Double(bitPattern: bits)
            if !value.isFinite { value = .greatestFiniteMagnitude }
            text.append(contentsOf: String(value).utf8)
        }
        #expect(result.checked == 200_000)
        #expect(result.failures.isEmpty, "\(result.failures)")
    }

    #if arch(x86_64) || arch(i386)  // Float80 holds the midpoints exactly
    @Test("15-25 significant digits of the exact midpoints between neighbouring doubles")
    func nearMidpoints() {
        var special: [Double] = [
            .greatestFiniteMagnitude, .leastNormalMagnitude, .leastNormalMagnitude.nextDown,
            .leastNonzeroMagnitude, 1, 1.0.nextDown, 9007199254740992, 0.1, 1e23, 1e-300, .leastNonzeroMagnitude * 3,
        ]
        for exponent in stride(from: -1074, through: 1023, by: 37) {
            special.append(Double(sign: .plus, exponent: exponent, significand: 1))
        }
        let result = compareWithStrtod(200_000, seed: 4) { generator, text in
            var value: Double
            if generator.next() % 8 == 0 {
                value = special[Int(generator.next() % UInt64(special.count))]
            } else {
                var bits = generator.next() & 0x7FFF_FFFF_FFFF_FFFF
                if generator.next() % 8 == 0 { bits &= 0x000F_FFFF_FFFF_FFFF }
                value = Double(bitPattern: bits)
                if !value.isFinite { value = .greatestFiniteMagnitude }
            }
            // Exact in Float80's 64-bit significand: the tie between value and the next double up.
            let midpoint = Float80(value) + Float80(value.ulp) / 2
            // Mostly 15-19 significant digits (Eisel–Lemire), sometimes 20-25 (strtod).
            let precision = generator.next() % 5 == 0 ? Int(19 + generator.next() % 6) : Int(14 + generator.next() % 5)
            appendSign(&generator, &text)
            appendFormatted(&text, "%.*Le", [Int32(precision), midpoint])
        }
        #expect(result.checked == 200_000)
        #expect(result.failures.isEmpty, "\(result.failures)")
    }
    #endif

    @Test("exact ties with at most 19 digits round to even (q from -4 to 23), and their neighbours")
    func exactTies() {
        let powersOfTen: [UInt64] = (0...19).map { exponent in (0..<exponent).reduce(1) { result, _ in result * 10 } }
        let result = compareWithStrtod(100_000, seed: 5) { generator, text in
            // n odd with 54 bits: n·2^k lies halfway between two doubles with 53-bit significands.
            var digits: UInt64
            var exponent = 0
            if generator.next() % 2 == 0 {
                // digits = n · 5^j · 2^s, written with j decimals: the value is n · 2^(s-j).
                let j = Int(generator.next() % 5)
                let five = powersOfTen[j] >> UInt64(j)
                while true {
                    let n = (UInt64(1) << 53 | generator.next() >> 11) | 1
                    let (product, overflow) = n.multipliedReportingOverflow(by: five)
                    guard !overflow && product < powersOfTen[19] else { continue }
                    let room = (powersOfTen[19] - 1) / product
                    let s = Int(generator.next() % UInt64(64 - room.leadingZeroBitCount))
                    digits = product << UInt64(s)
                    break
                }
                exponent = -j
            } else {
                // n = 5^q · t (t odd): digits = t · 2^s written with exponent q.
                let q = Int(generator.next() % 23) + 1
                let five = (0..<q).reduce(UInt64(1)) { result, _ in result * 5 }
                let low = ((UInt64(1) << 53) + five - 1) / five
                let high = ((UInt64(1) << 54) - 1) / five
                var t = low + generator.next() % (high - low + 1)
                if t % 2 == 0 { t = t + 1 <= high ? t + 1 : t - 1 }
                let room = (powersOfTen[19] - 1) / t
                let s = Int(generator.next() % UInt64(64 - room.leadingZeroBitCount))
                digits = t << UInt64(s)
                exponent = q
            }
            switch generator.next() % 4 {
            case 0: digits += 1
            case 1: digits -= 1
            default: break
            }
            appendSign(&generator, &text)
            var decimal = Array(String(digits).utf8)
            if exponent < 0 && generator.next() % 2 == 0 {
                decimal.insert(UInt8(ascii: "."), at: decimal.count + exponent)
                exponent = 0
            }
            text.append(contentsOf: decimal)
            if exponent != 0 { text.append(contentsOf: "e\(exponent)".utf8) }
        }
        #expect(result.checked == 100_000)
        #expect(result.failures.isEmpty, "\(result.failures)")
    }

    @Test("integers of 1-19 digits, and 2-6 digits as in our inputs")
    func integers() {
        let result = compareWithStrtod(150_000, seed: 6) { generator, text in
            appendSign(&generator, &text)
            let digits = generator.next() % 2 == 0 ? Int(generator.next() % 19) + 1 : Int(generator.next() % 5) + 2
            text.append(0x31 + UInt8(generator.next() % 9))
            for _ in 1..<digits { text.append(0x30 + UInt8(generator.next() % 10)) }
        }
        #expect(result.checked == 150_000)
        #expect(result.failures.isEmpty, "\(result.failures)")
    }

    @Test("more than 19 significant digits (strtod fallback), leading and trailing zeros")
    func longMantissas() {
        let result = compareWithStrtod(150_000, seed: 8) { generator, text in
            appendSign(&generator, &text)
            if generator.next() % 2 == 0 {
                for _ in 0..<generator.next() % 30 { text.append(UInt8(ascii: "0")) }
            }
            let digits = Int(generator.next() % 30) + 15
            let point = generator.next() % 4 == 0 ? -1 : Int(generator.next() % UInt64(digits + 1))
            for i in 0..<digits {
                if i == point { text.append(UInt8(ascii: ".")) }
                text.append(0x30 + UInt8(generator.next() % 10))
            }
            if generator.next() % 2 == 0 {
                for _ in 0..<generator.next() % 30 { text.append(UInt8(ascii: "0")) }
            }
            if generator.next() % 2 == 0 { appendExponent(&generator, &text, Int(generator.next() % 720) - 370) }
        }
        #expect(result.checked == 150_000)
        #expect(result.failures.isEmpty, "\(result.failures)")
    }

    @Test("near-valid random text: same grammar as a reference classifier, same value as strtod")
    func grammarFuzz() {
        var generator = SplitMix64(seed: 9)
        let alphabet = Array("0123456789.eE+- \tnaifINFty\u{0}x/:".utf8) + [0x80, 0xB9, 0xFF]
        var failures: [String] = []
        for _ in 0..<200_000 {
            var text: [UInt8] = []
            appendSpaces(&generator, &text)
            switch generator.next() % 4 {
            case 0: text.append(UInt8(ascii: "-"))
            case 1: text.append(UInt8(ascii: "+"))
            default: break
            }
            for _ in 0..<generator.next() % 21 { text.append(0x30 + UInt8(generator.next() % 10)) }
            if generator.next() % 2 == 0 { text.append(UInt8(ascii: ".")) }
            for _ in 0..<generator.next() % 21 { text.append(0x30 + UInt8(generator.next() % 10)) }
            if generator.next() % 3 == 0 { appendExponent(&generator, &text, Int(generator.next() % 700) - 350) }
            appendSpaces(&generator, &text)
            for _ in 0..<generator.next() % 3 {
                let character = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                let position = Int(generator.next() % UInt64(text.count + 1))
                switch generator.next() % 3 {
                case 0: text.insert(character, at: position)
                case 1 where position < text.count: text[position] = character
                default: if position < text.count { text.remove(at: position) }
                }
            }
            let got = text.withUnsafeBufferPointer { DecimalParser.parse($0, 0, $0.count) }
            let expected = referenceParse(text)
            let same: Bool
            switch (got, expected) {
            case (.number(let a), .number(let b)): same = a.bitPattern == b.bitPattern
            default: same = got == expected
            }
            if !same && failures.count < 10 { failures.append("\(text) → \(got), expected \(expected)") }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("fields inside a larger buffer: only start..<end is read")
    func fieldsInsideBuffer() {
        var generator = SplitMix64(seed: 10)
        var failures: [String] = []
        for _ in 0..<20_000 {
            let value = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF)
            let field = Array(String(value).utf8)
            // Digits on both sides: reading past either end would change the value.
            let buffer = Array("98765432".utf8) + field + Array("12345678".utf8)
            let got = buffer.withUnsafeBufferPointer { DecimalParser.parse($0, 8, 8 + field.count) }
            // And the field at the very end of its buffer (no bytes after it at all).
            let tail = field.withUnsafeBufferPointer { DecimalParser.parse($0, 0, $0.count) }
            if got != .number(value) || tail != .number(value) { failures.append(String(value)) }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test("the fast path's field parser: strtod's value as a Float and the field's end, or nil for what it leaves to the general path")
    func plainField() {
        var generator = SplitMix64(seed: 12)
        var failures: [String] = []
        let terminators = [",", "\n", "\r", ";", "x", "", ",123456789"]
        for _ in 0..<100_000 {
            // -?digits[.digits] with 0-12 digits before the point (leading zeros too), a field
            // that may end the buffer, then a delimiter, another byte or nothing.
            var field = generator.next() % 8 == 0 ? "-" : ""
            let integerDigits = Int(generator.next() % 13)
            for _ in 0..<integerDigits { field.append(Character(String(generator.next() % 10))) }
            if generator.next() % 3 == 0 {
                field += "."
                for _ in 0..<Int(generator.next() % 12) { field.append(Character(String(generator.next() % 10))) }
            }
            let after = terminators[Int(generator.next() % UInt64(terminators.count))]
            let buffer = Array((field + after).utf8)
            let (inside, last) = buffer.withUnsafeBufferPointer {
                (DecimalParser.parsePlainField($0, from: 0, last: false), DecimalParser.parsePlainField($0, from: 0, last: true))
            }
            let digits = field.filter(\.isNumber).count
            let number = digits > 0 && digits <= 19
            let expected = Float(strtod(field, nil))
            let end = field.utf8.count
            // Not the last field: a comma must follow, and parsing goes on after it.
            if number && after.hasPrefix(",") {
                if inside?.0.bitPattern != expected.bitPattern || inside?.1 != end + 1 {
                    failures.append("\(field + after) inside → \(String(describing: inside)), expected \(expected) and \(end + 1)")
                }
            } else if inside != nil {
                failures.append("\(field + after) inside → \(inside!) (expected nil)")
            }
            // The last field: the record's checks look at what follows (LF, CR, the end, or a comma they refuse).
            if number && (after.isEmpty || [",", "\n", "\r"].contains(String(after.first!))) {
                if last?.0.bitPattern != expected.bitPattern || last?.1 != end {
                    failures.append("\(field + after) last → \(String(describing: last)), expected \(expected) and \(end)")
                }
            } else if last != nil {
                failures.append("\(field + after) last → \(last!) (expected nil)")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }
}

// MARK: Helpers

/// Parses `count` generated texts and compares each with `strtod` bit for bit (the sign of zero
/// included); returns how many were checked and the first few that differ.
private func compareWithStrtod(
    _ count: Int, seed: UInt64, _ generate: (inout SplitMix64, inout [UInt8]) -> Void
) -> (checked: Int, failures: [String]) {
    var generator = SplitMix64(seed: seed)
    var text: [UInt8] = []
    text.reserveCapacity(128)
    var failures: [String] = []
    var checked = 0
    for _ in 0..<count {
        text.removeAll(keepingCapacity: true)
        generate(&generator, &text)
        let length = text.count
        text.append(0)
        let (got, expected) = text.withUnsafeBufferPointer { buffer in
            let expected = buffer.withMemoryRebound(to: CChar.self) { strtod($0.baseAddress!, nil) }
            return (DecimalParser.parse(buffer, 0, length), expected)
        }
        checked += 1
        guard case .number(let value) = got, value.bitPattern == expected.bitPattern else {
            if failures.count < 10 {
                failures.append("\(String(decoding: text[..<length], as: UTF8.self)) → \(got), strtod \(expected)")
            }
            continue
        }
    }
    return (checked, failures)
}

private func appendSign(_ generator: inout SplitMix64, _ text: inout [UInt8]) {
    switch generator.next() % 4 {
    case 0: text.append(UInt8(ascii: "-"))
    case 1: text.append(UInt8(ascii: "+"))
    default: break
    }
}

private func appendSpaces(_ generator: inout SplitMix64, _ text: inout [UInt8]) {
    for _ in 0..<generator.next() % 3 { text.append(generator.next() % 2 == 0 ? 0x20 : 0x09) }
}

/// `e`/`E`, an optional sign and the exponent's digits, sometimes with leading zeros.
private func appendExponent(_ generator: inout SplitMix64, _ text: inout [UInt8], _ exponent: Int) {
    text.append(generator.next() % 2 == 0 ? UInt8(ascii: "e") : UInt8(ascii: "E"))
    if exponent < 0 {
        text.append(UInt8(ascii: "-"))
    } else if generator.next() % 2 == 0 {
        text.append(UInt8(ascii: "+"))
    }
    for _ in 0..<generator.next() % 4 where generator.next() % 3 == 0 { text.append(UInt8(ascii: "0")) }
    text.append(contentsOf: String(abs(exponent)).utf8)
}

/// Appends `snprintf(format, arguments...)`.
private func appendFormatted(_ text: inout [UInt8], _ format: String, _ arguments: [any CVarArg]) {
    var buffer = [CChar](repeating: 0, count: 128)
    let length = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
    precondition(length > 0 && Int(length) < buffer.count)
    text.append(contentsOf: buffer[..<Int(length)].map { UInt8(bitPattern: $0) })
}

/// What `DecimalParser.parse` should answer, from a plain reading of the grammar and `strtod`.
private func referenceParse(_ raw: [UInt8]) -> ParsedNumber {
    var text = raw[...]
    while let first = text.first, first == 0x20 || first == 0x09 { text.removeFirst() }
    while let last = text.last, last == 0x20 || last == 0x09 { text.removeLast() }
    if text.isEmpty { return .empty }
    let bytes = Array(text)
    var i = 0
    func skipDigits() -> Int {
        let from = i
        while i < bytes.count && (0x30...0x39).contains(bytes[i]) { i += 1 }
        return i - from
    }
    if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
    var digits = skipDigits()
    if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
        i += 1
        digits += skipDigits()
    }
    if digits == 0 {
        let signed = bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+")
        let word = String(decoding: bytes[(signed ? 1 : 0)...].map { $0 | 0x20 }, as: UTF8.self)
        return ["nan", "inf", "infinity"].contains(word) ? .nonFinite : .notANumber
    }
    if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
        i += 1
        if i < bytes.count && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) { i += 1 }
        if skipDigits() == 0 { return .notANumber }
    }
    guard i == bytes.count else { return .notANumber }
    return .number(
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { strtod($0.baseAddress!, nil) }
        })
}
