import Files
import Glibc

/// Bytes formatted by a worker, immutable once made: the unit handed to the writer.
///
/// `@unchecked Sendable` is sound because the memory is written only while the owning
/// ``CSVOutputBuffer`` builds it and never after ``CSVOutputBuffer/takeBlock()`` hands it over.
final class ByteBlock: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer?
    let count: Int

    fileprivate init(taking base: UnsafeMutableRawPointer?, count: Int) {
        self.base = base
        self.count = count
    }

    /// An empty block.
    convenience init() { self.init(taking: nil, count: 0) }

    deinit { free(base) }

    var isEmpty: Bool { count == 0 }

    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy as an array (tests, small outputs).
    var array: [UInt8] { withBytes { Array($0) } }
}

extension ByteSink {
    /// Writes all of a worker's formatted bytes.
    func write(_ block: ByteBlock) throws(FileError) {
        try block.withBytes { bytes throws(FileError) in try write(bytes) }
    }
}

/// A growable byte buffer that formats CSV output without going through `String` or `Array`:
/// each append is a capacity check and a store or `memcpy`.
struct CSVOutputBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>?
    private(set) var count = 0
    private var capacity = 0

    init(capacity: Int = 0) {
        if capacity > 0 { grow(to: capacity) }
    }

    deinit { free(base) }

    /// Hands the bytes over without copying and starts again empty.
    mutating func takeBlock() -> ByteBlock {
        let block = ByteBlock(taking: UnsafeMutableRawPointer(base), count: count)
        base = nil
        count = 0
        capacity = 0
        return block
    }

    /// A copy of the bytes so far.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Calls `body` with the bytes so far (valid only during the call).
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeBufferPointer(start: base, count: count))
    }

    mutating func removeAll() { count = 0 }

    /// Makes room for `extra` more bytes, so that many appends need no further growth.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2, 256)
        guard let grown = realloc(base, newCapacity) else { fatalError("out of memory growing an output buffer to \(newCapacity) bytes") }
        base = grown.assumingMemoryBound(to: UInt8.self)
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base.unsafelyUnwrapped[count] = byte
        count += 1
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    @inline(__always)
    mutating func append(_ raw: UnsafeBufferPointer<UInt8>) {
        guard let source = raw.baseAddress, raw.count > 0 else { return }
        reserve(raw.count)
        Self.copy(source, raw.count, to: base.unsafelyUnwrapped + count)
        count += raw.count
    }

    /// Copies `count` bytes; short runs (ids, timestamps, a row's echoed fields) inline, with
    /// overlapping word moves instead of a call to `memcpy`.
    @inline(__always)
    static func copy(_ source: UnsafePointer<UInt8>, _ count: Int, to target: UnsafeMutablePointer<UInt8>) {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(target)
        switch count {
        case 16...128:
            var offset = 0
            while offset + 16 < count {
                to.storeBytes(
                    of: from.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self), toByteOffset: offset, as: SIMD16<UInt8>.self)
                offset += 16
            }
            let last = count - 16
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: last, as: SIMD16<UInt8>.self), toByteOffset: last, as: SIMD16<UInt8>.self)
        case 8..<16:
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        case 4..<8:
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        case 0..<4:
            for k in 0..<count { target[k] = source[k] }
        default:
            target.update(from: source, count: count)
        }
    }

    /// Lets `body` write up to `maximum` bytes straight into the buffer; it returns how many it
    /// wrote. One capacity check for a whole row instead of one per field.
    @inline(__always)
    mutating func write(atMost maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maximum)
        count += body(base.unsafelyUnwrapped + count)
    }

    mutating func append(contentsOf other: [UInt8]) {
        other.withUnsafeBufferPointer { append($0) }
    }

    /// Appends `text` as one CSV field, quoted only when it must be (RFC 4180).
    mutating func appendField(_ text: String) {
        var text = text
        text.withUTF8 { appendField(unescaped: $0) }
    }

    /// Appends an unescaped value as one CSV field, quoted only when it must be.
    mutating func appendField(unescaped value: UnsafeBufferPointer<UInt8>) {
        if Self.needsQuoting(value) {
            append(UInt8(ascii: "\""))
            for byte in value {
                if byte == UInt8(ascii: "\"") { append(byte) }
                append(byte)
            }
            append(UInt8(ascii: "\""))
        } else {
            append(value)
        }
    }

    /// Copies an input field verbatim: unquoted text as it was; quoted text re-quoted only if
    /// its value needs quotes (its doubled quotes are already in output form).
    mutating func appendField(copying field: FieldSpan, from source: UnsafeBufferPointer<UInt8>) {
        let raw = UnsafeBufferPointer(rebasing: source[field.start..<field.end])
        if field.isQuoted && (field.hasDoubledQuotes || Self.needsQuoting(raw)) {
            append(UInt8(ascii: "\""))
            append(raw)
            append(UInt8(ascii: "\""))
        } else {
            append(raw)
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

    /// Appends an integer in decimal.
    mutating func append(integer value: Int) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            append(integer: -value)
            return
        }
        reserve(20)
        count += Self.writeDecimal(UInt64(value), to: base.unsafelyUnwrapped + count)
    }

    /// Writes `value`'s decimal digits at `target`; returns how many (1…20).
    @inline(__always)
    private static func writeDecimal(_ value: UInt64, to target: UnsafeMutablePointer<UInt8>) -> Int {
        var digits = 1
        var bound: UInt64 = 10
        while digits < 20 && value >= bound {
            digits += 1
            bound = bound &* 10
        }
        var rest = value
        var position = digits
        while position > 0 {
            position -= 1
            target[position] = 0x30 + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return digits
    }

    /// Appends `value` with exactly six digits after the point, rounded like C's `%.6f`.
    mutating func append(sixDecimals value: Float) {
        reserve(Self.sixDecimalsMaximum)
        count += Self.writeSixDecimals(value, to: base.unsafelyUnwrapped + count)
    }

    /// The longest ``writeSixDecimals(_:to:)`` writes: sign, 39 digits, point, six decimals.
    static let sixDecimalsMaximum = 48

    /// Writes `value` as C's `%.6f` does at `target`, which has room for ``sixDecimalsMaximum``
    /// bytes; returns how many it wrote.
    ///
    /// A Float32 times 10⁶ is exact in a Double (24 + 20 bits < 53), so rounding that product
    /// half-to-even gives the same digits as printf's exact decimal rounding. Below 2⁵² adding
    /// and taking away 2⁵² rounds it so (the default rounding mode) without a call to `rint`;
    /// from 2⁵² up every Double is an integer already.
    @inline(__always)
    static func writeSixDecimals(_ value: Float, to target: UnsafeMutablePointer<UInt8>) -> Int {
        let exact = Double(value).magnitude * 1_000_000
        guard exact < 1e18 else { return writeWideSixDecimals(value, to: target) }
        let scaled = exact < 0x1p52 ? (exact + 0x1p52) - 0x1p52 : exact
        var n = 0
        if value.sign == .minus {  // printf keeps the sign of -0.0 and of what rounds to it
            target[0] = UInt8(ascii: "-")
            n = 1
        }
        let micro = UInt64(scaled)
        if micro < 10_000_000 {  // a probability: one digit before the point
            target[n] = 0x30 + UInt8(truncatingIfNeeded: micro / 1_000_000)
            n += 1
        } else {
            n += writeDecimal(micro / 1_000_000, to: target + n)
        }
        target[n] = UInt8(ascii: ".")
        // The six fraction digits as three independent pairs.
        let fraction = UInt32(truncatingIfNeeded: micro % 1_000_000)
        writeTwoDigits(fraction / 10_000, to: target + n + 1)
        writeTwoDigits(fraction / 100 % 100, to: target + n + 3)
        writeTwoDigits(fraction % 100, to: target + n + 5)
        return n + 7
    }

    /// `%.6f` by printf, for the rare value of 10¹² or more.
    @inline(never)
    private static func writeWideSixDecimals(_ value: Float, to target: UnsafeMutablePointer<UInt8>) -> Int {
        let written = withVaList([Double(value)]) { arguments in
            target.withMemoryRebound(to: CChar.self, capacity: sixDecimalsMaximum) {
                vsnprintf($0, sixDecimalsMaximum, "%.6f", arguments)
            }
        }
        return Int(written)
    }

    /// Writes `value` (0…99) as two digits.
    @inline(__always)
    private static func writeTwoDigits(_ value: UInt32, to target: UnsafeMutablePointer<UInt8>) {
        let tens = value / 10
        target[0] = 0x30 + UInt8(truncatingIfNeeded: tens)
        target[1] = 0x30 + UInt8(truncatingIfNeeded: value - 10 * tens)
    }

    /// Appends the shortest text that reads back as the same Float (regression values).
    mutating func append(shortest value: Float) {
        append(value.description)
    }
}
