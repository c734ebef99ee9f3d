/// Little-endian bit unpacking, the layout of Parquet's bit-packed runs and delta miniblocks.
enum BitUnpacking {
    /// Reads `width` (0...64) bits starting `bitOffset` bits into `base`; the caller has checked
    /// that those bits lie within `available` bytes. Bytes past `available` are never touched.
    @inline(__always)
    static func bits(_ base: UnsafeRawPointer, available: Int, bitOffset: Int, width: Int) -> UInt64 {
        if width == 0 { return 0 }
        let byte = bitOffset >> 3
        let shift = UInt64(bitOffset & 7)
        var value = load64(base, available: available, at: byte) >> shift
        if UInt64(width) + shift > 64 {
            value |= UInt64(base.load(fromByteOffset: byte + 8, as: UInt8.self)) << (64 - shift)
        }
        return width == 64 ? value : value & ((1 << UInt64(width)) &- 1)
    }

    /// Eight bytes at `offset` (fewer, zero-extended, near the end of the buffer).
    @inline(__always)
    static func load64(_ base: UnsafeRawPointer, available: Int, at offset: Int) -> UInt64 {
        if offset + 8 <= available { return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        var value: UInt64 = 0
        var index = available - 1
        while index >= offset {
            value = value << 8 | UInt64(base.load(fromByteOffset: index, as: UInt8.self))
            index -= 1
        }
        return value
    }

    /// Unpacks `count` values of `width` (≤ 32) bits into `output`.
    @inline(__always)
    static func unpack32(
        _ base: UnsafeRawPointer, available: Int, firstBit: Int, width: Int, count: Int, into output: UnsafeMutablePointer<UInt32>
    ) {
        if width == 0 {
            output.update(repeating: 0, count: count)
            return
        }
        let mask: UInt64 = (1 << UInt64(width)) &- 1
        var bit = firstBit
        var index = 0
        // Fast path: a full 8-byte load holds any ≤ 32-bit value at any shift.
        let lastFast = (available - 8) * 8
        while index < count && bit <= lastFast {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self))
            output[index] = UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
            bit += width
            index += 1
        }
        while index < count {
            output[index] = UInt32(truncatingIfNeeded: bits(base, available: available, bitOffset: bit, width: width))
            bit += width
            index += 1
        }
    }
}
