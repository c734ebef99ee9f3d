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
        #expect(parseNumber("1e3") == .number(1000))
        #expect(parseNumber("2.5E-2") == .number(0.025))
        #expect(parseNumber("+1.e+2") == .number(100))
        #expect(parseNumber(".5") == .number(0.5))
        #expect(parseNumber("5.") == .number(5))
        #expect(parseNumber("0") == .number(0))
        #expect(parseNumber("-0.0") == .number(-0.0))
        #expect(parseNumber("000123.4500") == .number(123.45))
    }

    @Test("empty, non-finite and malformed values are told apart")
    func rejected() {
        #expect(parseNumber("") == .empty)
        #expect(parseNumber("   ") == .empty)
        #expect(parseNumber("nan") == .nonFinite)
        #expect(parseNumber("NaN") == .nonFinite)
        #expect(parseNumber("-inf") == .nonFinite)
        #expect(parseNumber("Infinity") == .nonFinite)
        for bad in ["abc", "1,5", "1.2.3", "e5", "1e", "1e+", "--1", "+", "-", ".", "1 2", "0x10", "1_000", "١٢"] {
            #expect(parseNumber(bad) == .notANumber, "\(bad)")
        }
    }

    @Test("long mantissas and large exponents take the exact slow path")
    func slowPath() {
        #expect(parseNumber("1e400") == .number(.infinity))
        #expect(parseNumber("1e-400") == .number(0))
        #expect(parseNumber("12345678901234567890123") == .number(12345678901234567890123.0))
        #expect(parseNumber("0.1000000000000000055511151231257827") == .number(0.1))
        #expect(parseNumber("9007199254740993") == .number(9007199254740992))
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
}

