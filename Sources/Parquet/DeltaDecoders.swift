/// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY (Parquet's Encodings.md).
enum DeltaDecoders {
    /// Decodes `count` DELTA_BINARY_PACKED integers (wrapping arithmetic, as the spec says) into
    /// `output`; returns the bytes used, so what follows (byte-array data) can be found.
    @discardableResult
    static func decodeIntegers(
        _ data: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutablePointer<Int64>
    ) throws(ParquetError) -> Int {
        guard let base = data.baseAddress else {
            if count == 0 { return 0 }
            throw corrupt("no data for \(count) values")
        }
        var position = 0
        func varint() throws(ParquetError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < data.count else { throw corrupt("the header is cut off") }
                let byte = data[position]
                position += 1
                guard shift < 64 else { throw corrupt("a varint longer than 10 bytes") }
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        func zigzag() throws(ParquetError) -> Int64 {
            let raw = try varint()
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }
        let blockSize = try varint()
        let miniblockCount = try varint()
        let totalCount = try varint()
        var value = try zigzag()
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 20, miniblockCount > 0, blockSize % miniblockCount == 0,
            (blockSize / miniblockCount) % 32 == 0
        else {
            throw corrupt(
                "block size \(blockSize) with \(miniblockCount) miniblocks (the block must be a multiple of 128 "
                    + "and its miniblocks of 32)")
        }
        // Equal, not just enough: byte-array data starts where the last needed miniblock ends.
        guard totalCount == UInt64(count) else { throw corrupt("the page holds \(totalCount) values, \(count) expected") }
        if count == 0 { return position }
        output[0] = value
        var produced = 1
        let perMiniblock = Int(blockSize / miniblockCount)
        let miniblocks = Int(miniblockCount)
        while produced < count {
            let minimumDelta = try zigzag()
            guard position + miniblocks <= data.count else { throw corrupt("a block's bit widths are cut off") }
            let widths = position
            position += miniblocks
            for miniblock in 0..<miniblocks where produced < count {
                let width = Int(data[widths + miniblock])
                guard width <= 64 else { throw corrupt("bit width \(width) (at most 64)") }
                let bytes = perMiniblock * width / 8
                let take = min(perMiniblock, count - produced)
                let available = min(bytes, data.count - position)
                guard (take * width + 7) / 8 <= available else {
                    throw corrupt("a miniblock needs \(bytes) bytes, only \(data.count - position) remain")
                }
                let start = base + position
                var bit = 0
                for index in 0..<take {
                    let delta = BitUnpacking.bits(start, available: available, bitOffset: bit, width: width)
                    value = value &+ minimumDelta &+ Int64(bitPattern: delta)
                    output[produced + index] = value
                    bit += width
                }
                produced += take
                position += available
            }
        }
        return position
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the lengths (delta-encoded), then all bytes back to back.
    /// Appends the values' bytes to `bytes` and each value's end offset to `ends`.
    static func decodeLengthByteArrays(
        _ data: UnsafeRawBufferPointer, count: Int, bytes: RawBuffer, byteCount: inout Int, ends: RawBuffer,
        lengths: RawBuffer
    ) throws(ParquetError) {
        try lengths.reserve(count * 8)
        let lengthValues = lengths.base.assumingMemoryBound(to: Int64.self)
        var position = try decodeIntegers(data, count: count, into: lengthValues)
        try ends.reserve(count * 8)
        let endValues = ends.base.assumingMemoryBound(to: Int.self)
        for index in 0..<count {
            let length = lengthValues[index]
            guard length >= 0, length <= Int64(data.count - position) else {
                throw corrupt("value \(index) claims \(length) bytes, only \(data.count - position) remain")
            }
            try bytes.reserve(byteCount + Int(length))
            if length > 0 { (bytes.base + byteCount).copyMemory(from: data.baseAddress! + position, byteCount: Int(length)) }
            byteCount += Int(length)
            position += Int(length)
            endValues[index] = byteCount
        }
    }

    /// DELTA_BYTE_ARRAY: prefix lengths and suffixes (both delta-encoded); each value is the
    /// previous value's first `prefix` bytes followed by its suffix.
    static func decodeByteArrays(
        _ data: UnsafeRawBufferPointer, count: Int, bytes: RawBuffer, byteCount: inout Int, ends: RawBuffer,
        lengths: RawBuffer
    ) throws(ParquetError) {
        try lengths.reserve(count * 16)
        let prefixes = lengths.base.assumingMemoryBound(to: Int64.self)
        let suffixLengths = prefixes + count
        var position = try decodeIntegers(data, count: count, into: prefixes)
        position += try decodeIntegers(UnsafeRawBufferPointer(rebasing: data[position...]), count: count, into: suffixLengths)
        try ends.reserve(count * 8)
        let endValues = ends.base.assumingMemoryBound(to: Int.self)
        var previousStart = byteCount
        var previousLength = 0
        for index in 0..<count {
            let prefix = prefixes[index]
            let suffix = suffixLengths[index]
            guard prefix >= 0, prefix <= Int64(previousLength) else {
                throw corrupt("value \(index) shares \(prefix) bytes with a previous value of \(previousLength)")
            }
            guard suffix >= 0, suffix <= Int64(data.count - position) else {
                throw corrupt("value \(index) claims \(suffix) bytes, only \(data.count - position) remain")
            }
            let start = byteCount
            try bytes.reserve(byteCount + Int(prefix) + Int(suffix))
            if prefix > 0 { (bytes.base + start).copyMemory(from: bytes.base + previousStart, byteCount: Int(prefix)) }
            if suffix > 0 {
                (bytes.base + start + Int(prefix)).copyMemory(from: data.baseAddress! + position, byteCount: Int(suffix))
            }
            position += Int(suffix)
            byteCount = start + Int(prefix) + Int(suffix)
            endValues[index] = byteCount
            previousStart = start
            previousLength = Int(prefix + suffix)
        }
    }

    private static func corrupt(_ message: String) -> ParquetError {
        ParquetError(.corruptPage, "malformed delta-encoded data: \(message)")
    }
}
