import Glibc
import Testing

@testable import Engine

@Suite("CSV output")
struct CSVOutputBufferTests {
    @Test("six decimals match printf's %.6f for 200,000 random Float32 scores")
    func sixDecimals() {
        var generator = SplitMix64(seed: 11)
        var values: [Float] = [
            0, 1, 0.5, 0.0000005, 0.0000015, 0.9999995, 1e-7, Float.leastNonzeroMagnitude,
            // Outside [0, 1] (logits, softmax of a regression head): signs and wider whole parts.
            -0.25, -1, 9.999999, 9.9999996, 10, 12.25, 123_456.79, -98_765.43, 1e9, -3e12,
            // Signs printf keeps, and values too wide for the integer path.
            -0.0, -1e-7, -0.0000004, 999_999.94, 1e12, 1e13, -2.5e20, Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude,
            // Exact ties at the sixth decimal (m/128 × 10⁶ ends in .5): printf rounds them to even.
            1.0 / 128, 3.0 / 128, 5.0 / 128, 65.0 / 128, 127.0 / 128, -3.0 / 128, 1000 + 1.0 / 128,
        ]
        for _ in 0..<200_000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next() % 0x3F80_0001))) }
        for value in values {
            var buffer = CSVOutputBuffer()
            buffer.append(sixDecimals: value)
            let ours = String(decoding: buffer.bytes, as: UTF8.self)
            let printf = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { out in
                _ = withVaList([Double(value)]) { vsnprintf(out.baseAddress!, 64, "%.6f", $0) }
                return String(cString: out.baseAddress!)
            }
            #expect(ours == printf, "\(value)")
        }
    }

    @Test("copies of every length from 0 to 300 bytes, at every alignment, write exactly those bytes")
    func copies() {
        let source = (0..<400).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for offset in 0..<16 {
            for length in 0...300 {
                var buffer = CSVOutputBuffer()
                buffer.append(UInt8(ascii: "<"))
                source.withUnsafeBufferPointer { buffer.append(UnsafeBufferPointer(rebasing: $0[offset..<offset + length])) }
                buffer.append(UInt8(ascii: ">"))
                #expect(
                    buffer.bytes == [UInt8(ascii: "<")] + source[offset..<offset + length] + [UInt8(ascii: ">")],
                    "offset \(offset), length \(length)")
            }
        }
    }

    @Test("integers")
    func integers() {
        for value in [0, 7, 10, 99, 100, 123_456_789, Int(Int32.max), -5] {
            var buffer = CSVOutputBuffer()
            buffer.append(integer: value)
            #expect(String(decoding: buffer.bytes, as: UTF8.self) == String(value))
        }
    }

    @Test("fields are quoted only when they must be")
    func quoting() {
        func field(_ text: String) -> String {
            var buffer = CSVOutputBuffer()
            buffer.appendField(text)
            return String(decoding: buffer.bytes, as: UTF8.self)
        }
        #expect(field("plain") == "plain")
        #expect(field("a,b") == "\"a,b\"")
        #expect(field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(field("two\nlines") == "\"two\nlines\"")
        #expect(field("cr\r") == "\"cr\r\"")
        #expect(field("") == "")
    }
}
