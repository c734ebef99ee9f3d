import CZlib
import CZstd
import Checksum
import Files

/// Reads an input's CSV text, decompressing gzip or zstd while streaming (never to a temporary
/// file), and hashes the bytes as received.
///
/// The encoding is sniffed from the first bytes read, so standard input works too. Offsets in
/// errors count bytes of the received (compressed) stream.
final class InputDecoder {
    let path: String
    private let file: InputFile
    private let hasher: SHA256?
    private(set) var encoding: InputEncoding?
    /// Bytes read from the file so far: the received bytes, for progress and the manifest.
    private(set) var bytesRead = 0
    /// Received bytes not yet decompressed: `raw[rawStart...]`.
    private var raw: [UInt8] = []
    private var rawStart = 0
    private var rawAtEnd = false
    private var zstd: OpaquePointer?
    private var zlib: UnsafeMutablePointer<z_stream>?
    /// True between a finished gzip member or zstd frame and the next one.
    private var betweenMembers = true
    private static let rawBlock = 1 << 20
    private static let zstdBlock = 64 << 10

    /// The file's size, when known.
    var fileSize: Int? { file.size }

    init(path: String, hashing: Bool) throws(FileError) {
        self.path = path
        file = try InputFile(path: path)
        hasher = hashing ? SHA256() : nil
    }

    deinit {
        if let zstd { ZSTD_freeDStream(zstd) }
        if let zlib {
            inflateEnd(zlib)
            zlib.deallocate()
        }
    }

    /// SHA-256 of every byte received, nil when not hashing; call once, at the end.
    func finalizeSHA256() -> String? { hasher?.finalizeHex() }

    /// Appends up to `count` bytes of CSV text to `buffer`; returns how many (0 at the end).
    func read(into buffer: inout [UInt8], count: Int) throws(FileError) -> Int {
        switch encoding {
        case nil:
            let got = try readRaw(into: &buffer, count: count)
            let start = buffer.count - got
            let sniffed = InputEncoding.sniff(buffer[start...])
            encoding = sniffed
            switch sniffed {
            case .plain:
                return got
            case .parquet:
                throw FileError.invalid(
                    "this is a Parquet file, which cannot be read as a stream of CSV text", path: path,
                    hint: path == "-"
                        ? "Parquet cannot stream from standard input (its footer is at the end of the file); pass the file's path"
                        : "pass it by its path; it is read as Parquet")
            case .gzip, .zstd:
                raw = Array(buffer[start...])
                buffer.removeSubrange(start...)
                return try decompress(into: &buffer, count: count)
            }
        case .plain?:
            return try readRaw(into: &buffer, count: count)
        case .gzip?, .zstd?:
            return try decompress(into: &buffer, count: count)
        case .parquet?:
            return 0
        }
    }

    private func readRaw(into buffer: inout [UInt8], count: Int) throws(FileError) -> Int {
        let before = buffer.count
        let got = try file.read(into: &buffer, count: count)
        if let hasher { buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[before...])) } }
        bytesRead += got
        return got
    }

    /// Tops up the received bytes when all have been fed to the decompressor.
    private func refillRaw() throws(FileError) {
        guard rawStart == raw.count, !rawAtEnd else { return }
        raw.removeAll(keepingCapacity: true)
        rawStart = 0
        if try readRaw(into: &raw, count: Self.rawBlock) == 0 { rawAtEnd = true }
    }

    /// Decompresses until `count` bytes were appended or the stream ended.
    private func decompress(into buffer: inout [UInt8], count: Int) throws(FileError) -> Int {
        let start = buffer.count
        var produced = 0
        var failure: FileError?
        buffer = [UInt8](unsafeUninitializedCapacity: start + count) { storage, initialized in
            buffer.withUnsafeBufferPointer { old in
                if start > 0 { storage.baseAddress!.initialize(from: old.baseAddress!, count: start) }
            }
            let free = UnsafeMutableRawBufferPointer(start: storage.baseAddress! + start, count: count)
            do throws(FileError) {
                while produced < count {
                    try refillRaw()
                    if rawStart == raw.count {
                        if !betweenMembers { throw truncated() }
                        break
                    }
                    let output = UnsafeMutableRawBufferPointer(rebasing: free[produced...])
                    produced += encoding == .gzip ? try inflateStep(into: output) : try zstdStep(into: output)
                }
            } catch {
                failure = error
            }
            initialized = start + produced
        }
        if let failure { throw failure }
        return produced
    }

    /// Offset in the received stream of the next byte the decompressor would take.
    private var receivedOffset: Int { bytesRead - (raw.count - rawStart) }

    private func truncated() -> FileError {
        let what = encoding == .gzip ? "gzip member" : "zstd frame"
        return FileError(
            code: .corrupt, message: "the \(what) is cut short: the input ends at byte \(receivedOffset), inside it",
            path: path, hint: "the file is truncated; drop a complete copy")
    }

    private func corrupt(_ reason: String, at offset: Int, within block: Int? = nil) -> FileError {
        let what = encoding == .gzip ? "gzip" : "zstd"
        let place = block.map { "in bytes \(offset) to \(offset + $0 - 1)" } ?? "at byte \(offset)"
        return FileError(
            code: .corrupt, message: "the \(what) stream is corrupt \(place): \(reason)", path: path,
            hint: "check the file with `\(what) -t`; drop an intact copy")
    }

    private func zstdStep(into output: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        if zstd == nil {
            guard let stream = ZSTD_createDStream() else {
                throw FileError(code: .compression, message: "zstd could not allocate a decompression context", path: path)
            }
            zstd = stream
        }
        let offset = receivedOffset
        let (produced, consumed, hint, fed) = raw.withUnsafeBytes { bytes in
            // At most one block of input per call: zstd leaves `pos` where it was on an error, so
            // the block bounds where the fault is.
            let size = min(bytes.count - rawStart, Self.zstdBlock)
            var source = ZSTD_inBuffer(src: bytes.baseAddress! + rawStart, size: size, pos: 0)
            var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let hint = ZSTD_decompressStream(zstd, &target, &source)
            return (target.pos, source.pos, hint, size)
        }
        rawStart += consumed
        if ZSTD_isError(hint) != 0 {
            throw corrupt(String(cString: ZSTD_getErrorName(hint)), at: offset + consumed, within: fed - consumed)
        }
        // 0: a frame just ended (another may follow); otherwise the frame needs more input.
        betweenMembers = hint == 0
        return produced
    }

    private func inflateStep(into output: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        if betweenMembers {
            // A new member must start with the gzip magic: anything else after a member is refused
            // rather than silently dropped.
            let memberStart = receivedOffset
            if raw.count - rawStart < 2 {
                // Keep what is left and read on, so the magic can be checked whole.
                let tail = Array(raw[rawStart...])
                raw = tail
                rawStart = 0
                if !rawAtEnd, try readRaw(into: &raw, count: Self.rawBlock) == 0 { rawAtEnd = true }
            }
            guard raw.count - rawStart >= 2, raw[rawStart] == 0x1F, raw[rawStart + 1] == 0x8B else {
                throw corrupt("bytes after the last gzip member are not another member", at: memberStart)
            }
            if let zlib {
                inflateReset(zlib)
            } else {
                // zlib keeps a pointer back to the z_stream: it must not move, so it lives on the heap.
                let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
                stream.initialize(to: z_stream())
                guard CZlib_inflateInitGzip(stream) == Z_OK else {
                    stream.deallocate()
                    throw FileError(code: .compression, message: "zlib could not start a gzip stream", path: path)
                }
                zlib = stream
            }
            betweenMembers = false
        }
        let stream = zlib!
        let offset = receivedOffset
        let start = rawStart
        let (consumed, result) = raw.withUnsafeMutableBytes { bytes in
            let available = bytes.count - start
            stream.pointee.next_in = (bytes.baseAddress! + start).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = UInt32(available)
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
            let result = inflate(stream, Z_NO_FLUSH)
            return (available - Int(stream.pointee.avail_in), result)
        }
        rawStart += consumed
        switch result {
        case Z_OK, Z_BUF_ERROR:
            break
        case Z_STREAM_END:
            betweenMembers = true
        default:
            let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(result)"
            throw corrupt(reason, at: offset + consumed)
        }
        return output.count - Int(stream.pointee.avail_out)
    }
}
