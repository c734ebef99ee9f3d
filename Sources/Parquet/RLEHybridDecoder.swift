/// Decodes Parquet's RLE/bit-packed hybrid: definition levels, dictionary indices and
/// RLE-encoded booleans.
///
/// Runs are `varint header`: an even header is a repeated run of `header >> 1` copies of one
/// value (`ceil(width / 8)` bytes); an odd header is `header >> 1` groups of eight bit-packed
/// values. Every run is checked against the bytes left.
enum RLEHybridDecoder {
    /// Decodes `count` values of `bitWidth` (0...32) bits into `output`; returns the bytes used.
    @discardableResult
    static func decode(
        _ data: UnsafeRawBufferPointer, bitWidth: Int, count: Int, into output: UnsafeMutablePointer<UInt32>
    ) throws(ParquetError) -> Int {
        guard bitWidth >= 0, bitWidth <= 32 else { throw corrupt("bit width \(bitWidth) (at most 32)") }
        guard count > 0 else { return 0 }
        guard let base = data.baseAddress else { throw corrupt("no data for \(count) values") }
        let valueBytes = (bitWidth + 7) / 8
        var position = 0
        var produced = 0
        while produced < count {
            var header: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < data.count else {
                    throw corrupt("the data ends after \(produced) of \(count) values")
                }
                let byte = data[position]
                position += 1
                guard shift < 64 else { throw corrupt("a run header longer than 10 bytes") }
                header |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            if header & 1 == 0 {
                let runLength = header >> 1
                guard runLength > 0 else { throw corrupt("an empty repeated run") }
                guard position + valueBytes <= data.count else { throw corrupt("a repeated run's value is cut off") }
                var value: UInt32 = 0
                for index in 0..<valueBytes { value |= UInt32(data[position + index]) << (8 * UInt32(index)) }
                position += valueBytes
                let take = Int(min(runLength, UInt64(count - produced)))
                (output + produced).update(repeating: value, count: take)
                produced += take
            } else {
                let groups = header >> 1
                guard groups > 0, groups <= UInt64(data.count) else { throw corrupt("a bit-packed run of \(groups) groups") }
                let values = Int(groups) * 8
                let take = min(values, count - produced)
                // Writers may cut the last run short of its padding; the values used must be there.
                let runBytes = Int(groups) * bitWidth
                let neededBytes = (take * bitWidth + 7) / 8
                let available = min(runBytes, data.count - position)
                guard neededBytes <= available else {
                    throw corrupt("a bit-packed run needs \(neededBytes) bytes, only \(data.count - position) remain")
                }
                BitUnpacking.unpack32(
                    base + position, available: available, firstBit: 0, width: bitWidth, count: take, into: output + produced)
                produced += take
                position += available
            }
        }
        return position
    }

    private static func corrupt(_ message: String) -> ParquetError {
        ParquetError(.corruptPage, "malformed RLE/bit-packed data: \(message)")
    }
}
