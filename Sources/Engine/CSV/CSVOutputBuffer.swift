/// A growable byte buffer that formats CSV output without going through `String`.
struct CSVOutputBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always)
    mutating func append(_ byte: UInt8) { bytes.append(byte) }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ raw: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: raw) }

    mutating func append(contentsOf other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Appends `text` as one CSV field, quoted only when it must be (RFC 4180).
    mutating func appendField(_ text: String) {
        var text = text
        text.withUTF8 { appendField(unescaped: $0) }
    }

    /// Appends an unescaped value as one CSV field, quoted only when it must be.
    mutating func appendField(unescaped value: UnsafeBufferPointer<UInt8>) {
        if Self.needsQuoting(value) {
            bytes.append(UInt8(ascii: "\""))
            for byte in value {
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        } else {
            bytes.append(contentsOf: value)
        }
    }

    /// Copies an input field verbatim: unquoted text as it was; quoted text re-quoted only if
    /// its value needs quotes (its doubled quotes are already in output form).
    mutating func appendField(copying field: FieldSpan, from source: UnsafeBufferPointer<UInt8>) {
        let raw = UnsafeBufferPointer(rebasing: source[field.start..<field.end])
        if field.isQuoted && (field.hasDoubledQuotes || Self.needsQuoting(raw)) {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: raw)
            bytes.append(UInt8(ascii: "\""))
        } else {
            bytes.append(contentsOf: raw)
        }
    }

    static func needsQuoting(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in value {
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
            {
                return true
            }
        }
        return false
    }

    /// Appends a non-negative integer in decimal.
    mutating func append(integer value: Int) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            append(integer: -value)
            return
        }
        if value < 10 {
            bytes.append(0x30 + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            while rest > 0 {
                scratch[23 - count] = 0x30 + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[(24 - count)...]))
        }
    }

    /// Appends `value` with exactly six digits after the point, rounded like C's `%.6f`.
    ///
    /// A Float32 times 10⁶ is exact in a Double (24 + 20 bits < 53), so rounding that product
    /// half-to-even gives the same digits as printf's exact decimal rounding.
    mutating func append(sixDecimals value: Float) {
        var scaled = (Double(value) * 1_000_000).rounded(.toNearestOrEven)
        if scaled < 0 {
            bytes.append(UInt8(ascii: "-"))
            scaled = -scaled
        }
        let micro = Int(scaled)
        append(integer: micro / 1_000_000)
        bytes.append(UInt8(ascii: "."))
        var fraction = micro % 1_000_000
        var divisor = 100_000
        for _ in 0..<6 {
            bytes.append(0x30 + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }

    /// Appends the shortest text that reads back as the same Float (regression values).
    mutating func append(shortest value: Float) {
        append(value.description)
    }
}
