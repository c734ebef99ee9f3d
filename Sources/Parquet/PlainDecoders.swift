import Glibc

/// PLAIN, BYTE_STREAM_SPLIT and dictionary gathers for values of a fixed width, and PLAIN for
/// byte arrays: tight loops over raw memory, no per-value allocation.
enum PlainDecoders {
    /// PLAIN fixed-width values (INT32, INT64, INT96, FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY): a copy.
    static func fixed(_ data: UnsafeRawBufferPointer, width: Int, count: Int, into output: UnsafeMutableRawPointer) throws(ParquetError) {
        let needed = width * count
        guard needed <= data.count else {
            throw corrupt("\(count) values of \(width) bytes need \(needed) bytes, the page has \(data.count)")
        }
        if needed > 0 { memcpy(output, data.baseAddress!, needed) }
    }

    /// PLAIN booleans: bit-packed, least significant bit first; one byte (0 or 1) per value out.
    static func booleans(_ data: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutablePointer<UInt8>) throws(ParquetError) {
        guard (count + 7) / 8 <= data.count else {
            throw corrupt("\(count) booleans need \((count + 7) / 8) bytes, the page has \(data.count)")
        }
        for index in 0..<count {
            output[index] = (data[index >> 3] >> UInt8(index & 7)) & 1
        }
    }

    /// BYTE_STREAM_SPLIT: byte k of every value is in stream k; streams are `data.count / width` long.
    static func byteStreamSplit(
        _ data: UnsafeRawBufferPointer, width: Int, count: Int, into output: UnsafeMutableRawPointer
    ) throws(ParquetError) {
        guard width > 0, count * width <= data.count else {
            throw corrupt("\(count) values of \(width) bytes need \(count * width) bytes, the page has \(data.count)")
        }
        if count == 0 { return }
        let stride = data.count / width
        let input = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let out = output.assumingMemoryBound(to: UInt8.self)
        for stream in 0..<width {
            let source = input + stream * stride
            var target = out + stream
            for index in 0..<count {
                target.pointee = source[index]
                target += width
            }
        }
    }

    /// Dictionary gather: `output[i] = dictionary[indices[i]]`, every index checked first.
    static func gather(
        dictionary: UnsafeRawPointer, dictionaryCount: Int, width: Int, indices: UnsafePointer<UInt32>, count: Int,
        into output: UnsafeMutableRawPointer
    ) throws(ParquetError) {
        try checkIndices(indices, count: count, dictionaryCount: dictionaryCount)
        switch width {
        case 8:
            let source = dictionary.assumingMemoryBound(to: UInt64.self)
            let target = output.assumingMemoryBound(to: UInt64.self)
            for index in 0..<count { target[index] = source[Int(indices[index])] }
        case 4:
            let source = dictionary.assumingMemoryBound(to: UInt32.self)
            let target = output.assumingMemoryBound(to: UInt32.self)
            for index in 0..<count { target[index] = source[Int(indices[index])] }
        case 1:
            let source = dictionary.assumingMemoryBound(to: UInt8.self)
            let target = output.assumingMemoryBound(to: UInt8.self)
            for index in 0..<count { target[index] = source[Int(indices[index])] }
        default:
            for index in 0..<count { memcpy(output + index * width, dictionary + Int(indices[index]) * width, width) }
        }
    }

    static func checkIndices(_ indices: UnsafePointer<UInt32>, count: Int, dictionaryCount: Int) throws(ParquetError) {
        var largest: UInt32 = 0
        for index in 0..<count { largest = max(largest, indices[index]) }
        if count > 0 && Int(largest) >= dictionaryCount {
            throw ParquetError(
                .corruptPage,
                "dictionary index \(largest) is out of range: the dictionary holds \(dictionaryCount) values (the file is damaged)")
        }
    }

    /// PLAIN byte arrays: a 4-byte little-endian length before each value. Appends the bytes to
    /// `bytes` and each value's end offset to `ends`; returns the bytes of `data` used.
    @discardableResult
    static func byteArrays(
        _ data: UnsafeRawBufferPointer, count: Int, bytes: RawBuffer, byteCount: inout Int, ends: RawBuffer
    ) throws(ParquetError) -> Int {
        guard count <= data.count / 4 else { throw corrupt("\(count) values need at least \(count * 4) bytes, the page has \(data.count)") }
        try ends.reserve(count * MemoryLayout<Int>.stride)
        let endValues = ends.base.assumingMemoryBound(to: Int.self)
        // The values are at most the page's size: reserve once.
        try bytes.reserve(byteCount + data.count)
        var position = 0
        for index in 0..<count {
            guard position + 4 <= data.count else { throw corrupt("value \(index) of \(count) is cut off") }
            let length = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
            position += 4
            guard length <= data.count - position else {
                throw corrupt("value \(index) claims \(length) bytes, only \(data.count - position) remain")
            }
            if length > 0 { memcpy(bytes.base + byteCount, data.baseAddress! + position, length) }
            byteCount += length
            position += length
            endValues[index] = byteCount
        }
        return position
    }

    static func corrupt(_ message: String) -> ParquetError {
        ParquetError(.corruptPage, "malformed PLAIN data: \(message)")
    }
}
