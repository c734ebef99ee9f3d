import CSnappy
import CZlib
import CZstd

/// Parquet's compression codecs (the CompressionCodec enum), each checked against the
/// uncompressed size the page header states.
enum PageDecompressor {
    static let uncompressed: Int32 = 0
    static let snappy: Int32 = 1
    static let gzip: Int32 = 2
    static let zstd: Int32 = 6

    /// Whether the reader can decompress `codec`.
    static func supports(_ codec: Int32) -> Bool {
        codec == uncompressed || codec == snappy || codec == gzip || codec == zstd
    }

    static func name(_ codec: Int32) -> String {
        switch codec {
        case 0: return "UNCOMPRESSED"
        case 1: return "SNAPPY"
        case 2: return "GZIP"
        case 3: return "LZO"
        case 4: return "BROTLI"
        case 5: return "LZ4"
        case 6: return "ZSTD"
        case 7: return "LZ4_RAW"
        default: return "codec \(codec)"
        }
    }

    /// Decompresses `input` into exactly `output.count` bytes; any other size is an error.
    static func decompress(_ input: UnsafeRawBufferPointer, codec: Int32, into output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        let expected = output.count
        switch codec {
        case uncompressed:
            guard input.count == expected else { throw mismatch(codec, expected: expected, actual: input.count) }
            if expected > 0 { output.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: expected) }
        case snappy:
            let source = input.baseAddress?.assumingMemoryBound(to: CChar.self)
            var length = 0
            guard snappy_uncompressed_length(source, input.count, &length) == SNAPPY_OK else { throw corrupt(codec, "bad header") }
            guard length == expected else { throw mismatch(codec, expected: expected, actual: length) }
            if expected == 0 { return }
            var written = expected
            let status = snappy_uncompress(source, input.count, output.baseAddress!.assumingMemoryBound(to: CChar.self), &written)
            guard status == SNAPPY_OK else { throw corrupt(codec, "snappy status \(status.rawValue)") }
            guard written == expected else { throw mismatch(codec, expected: expected, actual: written) }
        case gzip:
            try inflate(input, into: output)
        case zstd:
            let frameSize = ZSTD_getFrameContentSize(input.baseAddress, input.count)
            if frameSize != ZSTD_CONTENTSIZE_UNKNOWN && frameSize != ZSTD_CONTENTSIZE_ERROR && frameSize != UInt64(expected) {
                throw mismatch(codec, expected: expected, actual: Int(clamping: frameSize))
            }
            // Frames without a content size decompress too: ZSTD_decompress stops at the capacity.
            let result = ZSTD_decompress(output.baseAddress, expected, input.baseAddress, input.count)
            if ZSTD_isError(result) != 0 { throw corrupt(codec, String(cString: ZSTD_getErrorName(result))) }
            guard result == expected else { throw mismatch(codec, expected: expected, actual: result) }
        default:
            throw ParquetError(
                .unsupported,
                "pages are compressed with \(name(codec)); supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD (rewrite the file with one of them)")
        }
    }

    private static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        var stream = z_stream()
        guard CZlib_inflateInitAuto(&stream) == Z_OK else { throw corrupt(gzip, "inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(output.count)
        var status = CZlib.inflate(&stream, Z_FINISH)
        // Concatenated gzip members (some writers emit them) continue after Z_STREAM_END.
        while status == Z_STREAM_END && stream.avail_in > 0 && stream.avail_out > 0 {
            guard inflateReset(&stream) == Z_OK else { break }
            status = CZlib.inflate(&stream, Z_FINISH)
        }
        let written = output.count - Int(stream.avail_out)
        if status != Z_STREAM_END {
            // A full output before the stream's end means the data is longer than the header says.
            if stream.avail_out == 0 && status != Z_DATA_ERROR { throw mismatch(gzip, expected: output.count, actual: output.count + 1) }
            let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
            throw corrupt(gzip, reason)
        }
        guard written == output.count else { throw mismatch(gzip, expected: output.count, actual: written) }
    }

    private static func mismatch(_ codec: Int32, expected: Int, actual: Int) -> ParquetError {
        ParquetError(
            .corruptPage,
            "\(name(codec)) page decompresses to \(actual)\(actual > expected ? " or more" : "") bytes, the page header says \(expected) "
                + "(the file is damaged)")
    }

    private static func corrupt(_ codec: Int32, _ reason: String) -> ParquetError {
        ParquetError(.corruptPage, "\(name(codec)) data is corrupt: \(reason) (the file is damaged)")
    }
}
