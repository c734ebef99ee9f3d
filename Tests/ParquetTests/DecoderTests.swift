import CSnappy
import CZlib
import CZstd
import Testing

@testable import Parquet

/// Each decoder on hand-made bytes (Encodings.md's examples where it has them).
@Suite struct DecoderTests {
    static func decodeRLE(_ bytes: [UInt8], bitWidth: Int, count: Int) throws(ParquetError) -> [UInt32] {
        var output = [UInt32](repeating: 0xDEAD, count: count)
        var failure: ParquetError?
        bytes.withUnsafeBytes { data in
            output.withUnsafeMutableBufferPointer { buffer in
                do throws(ParquetError) {
                    try RLEHybridDecoder.decode(data, bitWidth: bitWidth, count: count, into: buffer.baseAddress!)
                } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return output
    }

    @Test func rleHybrid() throws {
        // The spec's bit-packed example: 0...7 at width 3 is 0x88 0xC6 0xFA after a header of one group.
        #expect(try Self.decodeRLE([0x03, 0x88, 0xC6, 0xFA], bitWidth: 3, count: 8) == Array(0...7))
        // A repeated run of five 7s, then a bit-packed group of 1,0,1,1 (width 1), used in part.
        #expect(try Self.decodeRLE([0x0A, 0x07, 0x03, 0b1101], bitWidth: 3, count: 5) == [7, 7, 7, 7, 7])
        #expect(try Self.decodeRLE([0x0A, 0x01, 0x03, 0b1101], bitWidth: 1, count: 9) == [1, 1, 1, 1, 1, 1, 0, 1, 1])
        // Width 0 (a one-value dictionary) and a width above a byte.
        #expect(try Self.decodeRLE([0x08], bitWidth: 0, count: 4) == [0, 0, 0, 0])
        #expect(try Self.decodeRLE([0x04, 0x34, 0x12], bitWidth: 13, count: 2) == [0x1234, 0x1234])
        // Lies: the data ends early; a bit-packed run longer than the bytes.
        #expect(throws: ParquetError.self) { try Self.decodeRLE([0x0A, 0x07], bitWidth: 3, count: 6) }
        #expect(throws: ParquetError.self) { try Self.decodeRLE([0x07, 0xFF], bitWidth: 8, count: 16) }
        #expect(throws: ParquetError.self) { try Self.decodeRLE([0x02, 0x01], bitWidth: 33, count: 1) }
    }

    static func decodeDelta(_ bytes: [UInt8], count: Int) throws(ParquetError) -> [Int64] {
        var output = [Int64](repeating: 0, count: count)
        var failure: ParquetError?
        bytes.withUnsafeBytes { data in
            output.withUnsafeMutableBufferPointer { buffer in
                do throws(ParquetError) { try DeltaDecoders.decodeIntegers(data, count: count, into: buffer.baseAddress!) } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    @Test func deltaBinaryPackedSpecExamples() throws {
        // 1, 2, 3, 4, 5: block 128, 4 miniblocks, 5 values, first 1; min delta 1, widths 0.
        #expect(try Self.decodeDelta([0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0], count: 5) == [1, 2, 3, 4, 5])
        // 7, 5, 3, 1, 2, 3, 4, 5: min delta -2, relative 0,0,0,3,3,3,3 at width 2 (8 bytes).
        let example: [UInt8] = [0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0, 0, 0]
        #expect(try Self.decodeDelta(example, count: 8) == [7, 5, 3, 1, 2, 3, 4, 5])
        // Wrapping arithmetic at the Int64 edges (width 64 deltas).
        let edges = deltaBinaryPacked([Int64.max, Int64.min, 0, -1, Int64.max])
        #expect(try Self.decodeDelta(edges, count: 5) == [Int64.max, Int64.min, 0, -1, Int64.max])
        let many = (0..<300).map { Int64($0 * $0) - 5000 }
        #expect(try Self.decodeDelta(deltaBinaryPacked(many), count: 300) == many)
        // Lies: a count that disagrees, a block size that is not a multiple of 128, cut-off data.
        #expect(throws: ParquetError.self) { try Self.decodeDelta(example, count: 7) }
        #expect(throws: ParquetError.self) { try Self.decodeDelta([0x40, 0x04, 0x05, 0x02], count: 5) }
        #expect(throws: ParquetError.self) { try Self.decodeDelta(Array(example[0..<11]), count: 8) }
    }

    static func decodeByteArrays(_ bytes: [UInt8], count: Int, prefixed: Bool) throws(ParquetError) -> [String] {
        let storage = try RawBuffer(capacity: 0)
        let ends = try RawBuffer(capacity: 0)
        let lengths = try RawBuffer(capacity: 0)
        var byteCount = 0
        var failure: ParquetError?
        bytes.withUnsafeBytes { data in
            do throws(ParquetError) {
                if prefixed {
                    try DeltaDecoders.decodeByteArrays(
                        data, count: count, bytes: storage, byteCount: &byteCount, ends: ends, lengths: lengths)
                } else {
                    try DeltaDecoders.decodeLengthByteArrays(
                        data, count: count, bytes: storage, byteCount: &byteCount, ends: ends, lengths: lengths)
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        var start = 0
        return (0..<count).map { index in
            let end = ends.base.load(fromByteOffset: index * 8, as: Int.self)
            defer { start = end }
            return String(decoding: UnsafeRawBufferPointer(start: storage.base + start, count: end - start), as: UTF8.self)
        }
    }

    @Test func deltaByteArrays() throws {
        // The spec's examples.
        let words = ["Hello", "World", "Foobar", "ABCDEF"]
        let lengthEncoded = deltaBinaryPacked(words.map { Int64($0.utf8.count) }) + Array(words.joined().utf8)
        #expect(try Self.decodeByteArrays(lengthEncoded, count: 4, prefixed: false) == words)
        let prefixEncoded = deltaBinaryPacked([0, 2, 0, 3]) + deltaBinaryPacked([4, 2, 6, 5]) + Array("axislebabbleyhood".utf8)
        #expect(try Self.decodeByteArrays(prefixEncoded, count: 4, prefixed: true) == ["axis", "axle", "babble", "babyhood"])
        // Lies: a prefix longer than the previous value; a length past the end.
        let badPrefix = deltaBinaryPacked([0, 5]) + deltaBinaryPacked([2, 1]) + Array("abc".utf8)
        #expect(throws: ParquetError.self) { try Self.decodeByteArrays(badPrefix, count: 2, prefixed: true) }
        let badLength = deltaBinaryPacked([3, 100]) + Array("abcdef".utf8)
        #expect(throws: ParquetError.self) { try Self.decodeByteArrays(badLength, count: 2, prefixed: false) }
    }

    @Test func byteStreamSplitAndPlain() throws {
        let values: [Float] = [1.5, -2.0, 3.25]
        let raw = values.withUnsafeBytes { Array($0) }
        var split = [UInt8](repeating: 0, count: raw.count)
        for index in 0..<3 { for byte in 0..<4 { split[byte * 3 + index] = raw[index * 4 + byte] } }
        var output = [Float](repeating: 0, count: 3)
        try split.withUnsafeBytes { data in
            try output.withUnsafeMutableBytes { target in
                try PlainDecoders.byteStreamSplit(data, width: 4, count: 3, into: target.baseAddress!)
            }
        }
        #expect(output == values)
        var booleans = [UInt8](repeating: 9, count: 10)
        try [UInt8(0b1010_0101), 0b10].withUnsafeBytes { data in
            try booleans.withUnsafeMutableBufferPointer { target in
                try PlainDecoders.booleans(data, count: 10, into: target.baseAddress!)
            }
        }
        #expect(booleans == [1, 0, 1, 0, 0, 1, 0, 1, 0, 1])
        #expect(throws: ParquetError.self) {
            try [UInt8](repeating: 0, count: 11).withUnsafeBytes { data in
                try output.withUnsafeMutableBytes { target in
                    try PlainDecoders.fixed(data, width: 4, count: 3, into: target.baseAddress!)
                }
            }
        }
    }

    static func decompress(_ input: [UInt8], codec: Int32, size: Int) throws(ParquetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var failure: ParquetError?
        input.withUnsafeBytes { data in
            output.withUnsafeMutableBytes { target in
                do throws(ParquetError) { try PageDecompressor.decompress(data, codec: codec, into: target) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return output
    }

    static let text = Array(String(repeating: "parquet pages, ", count: 40).utf8)

    @Test func codecs() throws {
        #expect(try Self.decompress(Self.text, codec: PageDecompressor.uncompressed, size: Self.text.count) == Self.text)
        // Snappy: the length as a varint, then one literal (tag (length - 1) << 2).
        #expect(try Self.decompress([0x05, 0x10] + Array("hello".utf8), codec: PageDecompressor.snappy, size: 5) == Array("hello".utf8))
        var snappyLength = snappy_max_compressed_length(Self.text.count)
        var snappy = [UInt8](repeating: 0, count: snappyLength)
        _ = Self.text.withUnsafeBytes { source in
            snappy.withUnsafeMutableBytes { target in
                snappy_compress(
                    source.baseAddress!.assumingMemoryBound(to: CChar.self), source.count,
                    target.baseAddress!.assumingMemoryBound(to: CChar.self), &snappyLength)
            }
        }
        snappy.removeLast(snappy.count - snappyLength)
        #expect(try Self.decompress(snappy, codec: PageDecompressor.snappy, size: Self.text.count) == Self.text)

        var zstd = [UInt8](repeating: 0, count: ZSTD_compressBound(Self.text.count))
        let zstdLength = Self.text.withUnsafeBytes { source in
            zstd.withUnsafeMutableBytes { ZSTD_compress($0.baseAddress, $0.count, source.baseAddress, source.count, 3) }
        }
        zstd.removeLast(zstd.count - zstdLength)
        #expect(try Self.decompress(zstd, codec: PageDecompressor.zstd, size: Self.text.count) == Self.text)

        let gzip = Self.gzip(Self.text)
        #expect(gzip[0] == 0x1F && gzip[1] == 0x8B)
        #expect(try Self.decompress(gzip, codec: PageDecompressor.gzip, size: Self.text.count) == Self.text)

        // The header's size must be the real one, for every codec; garbage is an error too.
        for (data, codec) in [
            (Self.text, PageDecompressor.uncompressed), (snappy, PageDecompressor.snappy), (zstd, PageDecompressor.zstd),
            (gzip, PageDecompressor.gzip),
        ] {
            for size in [Self.text.count - 1, Self.text.count + 1] {
                #expect(throws: ParquetError.self, "codec \(codec) size \(size)") { try Self.decompress(data, codec: codec, size: size) }
            }
            #expect(throws: ParquetError.self) { try Self.decompress(Array(data.prefix(9)), codec: codec, size: Self.text.count) }
        }
        #expect(throws: ParquetError.self) { try Self.decompress(Self.text, codec: 5, size: Self.text.count) }
    }

    static func gzip(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(CZlib_deflateInitGzip(&stream, 6) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: input.count + 1024)
        var mutableInput = input
        let produced = mutableInput.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }

    @Test func thriftSkipsUnknownFields() throws {
        // Field 1 (i32 7), then unknown fields 20 (a list of two structs holding a map and a
        // binary), 21 (true), 22 (double), then field 23 (i32 -3).
        let bytes: [UInt8] = [
            0x15, 0x0E,
            0x09, 0x28, 0x2C, 0x1B, 0x01, 0x58, 0x02, 0x04, 0x00, 0x18, 0x02, 0x61, 0x62, 0x00, 0x00,
            0x11, 0x17, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x15, 0x05, 0x00,
        ]
        var fields: [(Int16, Int64)] = []
        try bytes.withUnsafeBytes { data in
            var reader = ThriftCompactReader(data, fileOffset: 0)
            try reader.readStruct { (reader, id, type) throws(ParquetError) in
                if id == 1 || id == 23 { fields.append((id, try reader.readInteger(type))) } else { try reader.skip(type) }
            }
            #expect(reader.remaining == 0)
        }
        #expect(fields.map(\.0) == [1, 23])
        #expect(fields.map(\.1) == [7, -3])
    }

    @Test func textRules() {
        func text(_ append: (inout [UInt8]) -> Void) -> String {
            var output: [UInt8] = []
            append(&output)
            return String(decoding: output, as: UTF8.self)
        }
        #expect(text { ParquetText.appendDate(days: 0, to: &$0) } == "1970-01-01")
        #expect(text { ParquetText.appendDate(days: -1, to: &$0) } == "1969-12-31")
        #expect(text { ParquetText.appendDate(days: 11016, to: &$0) } == "2000-02-29")
        #expect(text { ParquetText.appendDate(days: -719_528, to: &$0) } == "0000-01-01")
        #expect(text { ParquetText.appendTimestamp(-1, perSecond: 1000, digits: 3, utc: true, to: &$0) } == "1969-12-31T23:59:59.999Z")
        #expect(
            text { ParquetText.appendTimestamp(1_704_164_645_123_456, perSecond: 1_000_000, digits: 6, utc: false, to: &$0) }
                == "2024-01-02T03:04:05.123456")
        #expect(text { ParquetText.appendInt96(nanosecondsOfDay: 1, julianDay: 2_440_588, to: &$0) } == "1970-01-01T00:00:00.000000001Z")
        #expect(text { ParquetText.appendDecimal(-1250, scale: 2, to: &$0) } == "-12.50")
        #expect(text { ParquetText.appendDecimal(5, scale: 3, to: &$0) } == "0.005")
        #expect(text { ParquetText.appendDecimal(-7, scale: 0, to: &$0) } == "-7")
        #expect(text { ParquetText.appendDecimal(Int128.max, scale: 38, to: &$0) } == "1.70141183460469231731687303715884105727")
        #expect(text { ParquetText.appendInteger(Int64.min, to: &$0) } == "-9223372036854775808")
        #expect(text { ParquetText.appendFloatingPoint(-Double.nan, to: &$0) } == "nan")
        #expect(text { ParquetText.appendFloatingPoint(-Float.infinity, to: &$0) } == "-inf")
        #expect(text { ParquetText.appendFloatingPoint(Float(0.1), to: &$0) } == "0.1")
        #expect(text { ParquetText.appendFloatingPoint(1e-7, to: &$0) } == "1e-07")
    }
}

/// A DELTA_BINARY_PACKED encoder for tests: one block size of 128, 4 miniblocks of 32.
func deltaBinaryPacked(_ values: [Int64]) -> [UInt8] {
    func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }
    func zigzag(_ value: Int64) -> [UInt8] { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }
    var output = varint(128) + varint(4) + varint(UInt64(values.count)) + zigzag(values.first ?? 0)
    let deltas = zip(values.dropFirst(), values).map { $0 &- $1 }
    var start = 0
    while start < deltas.count {
        let block = Array(deltas[start..<min(start + 128, deltas.count)])
        let minimum = block.min()!
        output += zigzag(minimum)
        var widths: [UInt8] = []
        var bodies: [UInt8] = []
        for miniblock in 0..<4 {
            let slice = block.dropFirst(miniblock * 32).prefix(32).map { UInt64(bitPattern: $0 &- minimum) }
            if slice.isEmpty {
                widths.append(0)
                continue
            }
            let width = slice.map { 64 - $0.leadingZeroBitCount }.max()!
            widths.append(UInt8(width))
            var bits = [UInt8](repeating: 0, count: 32 * width / 8)
            for (index, value) in slice.enumerated() {
                for bit in 0..<width where value >> UInt64(bit) & 1 == 1 {
                    let position = index * width + bit
                    bits[position / 8] |= 1 << UInt8(position % 8)
                }
            }
            bodies += bits
        }
        output += widths + bodies
        start += 128
    }
    return output
}
