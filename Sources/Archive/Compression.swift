import CZlib
import CZstd
import Checksum
import Files

/// How the archived input is stored: as received, gzip (zlib, level 6) or zstd (level 3).
public enum Compression: String, Sendable, CaseIterable {
    /// Stored as received, as `input.csv`.
    case none
    /// Stored as `input.csv.gz` (gzip format, RFC 1952; `gzip -dc` restores it).
    case gzip
    /// Stored as `input.csv.zst` (zstd frame with a content checksum; `zstd -dc` restores it).
    case zstd

    /// The archived input's file name for this compression.
    public var storedInputName: String {
        switch self {
        case .none: "input.csv"
        case .gzip: "input.csv.gz"
        case .zstd: "input.csv.zst"
        }
    }
}

/// How an input is stored in the archive: CSV text compressed as the pipeline asks, and an input
/// that arrived compressed (`.csv.gz`, `.csv.zst`) or as Parquet exactly as received, so nothing
/// is compressed twice.
struct StoredInputForm {
    /// The stored file's name in the job folder.
    let name: String
    /// How the stored file is compressed (what the manifest's `stored.compression` says).
    let compression: Compression
    /// What the archive does to the bytes while copying them: nothing unless the input is plain CSV.
    let compressing: Compression

    static let parquetName = "input.parquet"

    init(received: InputEncoding, asked: Compression) {
        switch received {
        case .plain: (name, compression, compressing) = (asked.storedInputName, asked, asked)
        case .gzip: (name, compression, compressing) = (Compression.gzip.storedInputName, .gzip, .none)
        case .zstd: (name, compression, compressing) = (Compression.zstd.storedInputName, .zstd, .none)
        case .parquet: (name, compression, compressing) = (Self.parquetName, .none, .none)
        }
    }
}

/// The digests of an input copied into the archive: of the bytes as received, and of the file stored.
struct StoredInputDigests {
    var original: FileDigest
    var stored: FileDigest
}

/// Streams an input file into the archive, compressing it block by block so memory stays flat.
enum InputStore {
    /// zstd's default level: about 3x on CSV at hundreds of MB/s.
    static let zstdLevel: Int32 = 3
    /// zlib's default level.
    static let gzipLevel: Int32 = 6

    /// Copies (compressing as asked) the rest of `input` into `output`; hashes both the original and stored bytes.
    static func store(
        _ input: OpenFile,
        into output: OpenFile,
        compression: Compression,
        expectedSize: Int?
    ) throws(FileError) -> StoredInputDigests {
        switch compression {
        case .none:
            let digest = try StreamCopy.copy(from: input, to: output)
            return StoredInputDigests(original: digest, stored: digest)
        case .gzip:
            return try storeGzip(input, into: output)
        case .zstd:
            return try storeZstd(input, into: output, expectedSize: expectedSize)
        }
    }

    private static func storeZstd(
        _ input: OpenFile,
        into output: OpenFile,
        expectedSize: Int?
    ) throws(FileError) -> StoredInputDigests {
        guard let context = ZSTD_createCCtx() else {
            throw FileError(code: .compression, message: "zstd could not allocate a compression context")
        }
        defer { ZSTD_freeCCtx(context) }
        func check(_ result: Int, _ step: String) throws(FileError) {
            if ZSTD_isError(result) != 0 {
                let reason = String(cString: ZSTD_getErrorName(result))
                throw FileError(
                    code: .compression,
                    message: "zstd failed to \(step) while storing \(input.path): \(reason)",
                    path: output.path
                )
            }
        }
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, zstdLevel), "set the level")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enable checksums")
        if let expectedSize {
            // Records the size in the frame header (`zstd -l` shows it); zstd fails if the input changes size.
            try check(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(expectedSize)), "set the input size")
        }

        let outCapacity = ZSTD_CStreamOutSize()
        let outBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: outCapacity, alignment: 16)
        defer { outBuffer.deallocate() }
        let sink = DigestingWriter(output)
        let original = SHA256()
        var originalSize = 0

        try StreamCopy.forEachBlock(of: input) { block throws(FileError) in
            original.update(block)
            originalSize += block.count
            var source = ZSTD_inBuffer(src: block.baseAddress, size: block.count, pos: 0)
            while source.pos < source.size {
                var target = ZSTD_outBuffer(dst: outBuffer.baseAddress, size: outCapacity, pos: 0)
                try check(ZSTD_compressStream2(context, &target, &source, ZSTD_e_continue), "compress")
                try sink.write(UnsafeRawBufferPointer(rebasing: outBuffer[0..<target.pos]))
            }
        }
        var remaining = 1
        while remaining != 0 {
            var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
            var target = ZSTD_outBuffer(dst: outBuffer.baseAddress, size: outCapacity, pos: 0)
            remaining = ZSTD_compressStream2(context, &target, &source, ZSTD_e_end)
            try check(remaining, "finish the frame")
            try sink.write(UnsafeRawBufferPointer(rebasing: outBuffer[0..<target.pos]))
        }
        return StoredInputDigests(
            original: FileDigest(size: originalSize, sha256: original.finalizeHex()),
            stored: sink.digest()
        )
    }

    private static func storeGzip(_ input: OpenFile, into output: OpenFile) throws(FileError) -> StoredInputDigests {
        // zlib keeps a pointer back to the z_stream and checks it on every call, so it must not move:
        // it lives on the heap rather than in a Swift variable that inout might copy.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard CZlib_deflateInitGzip(stream, gzipLevel) == Z_OK else {
            throw FileError(code: .compression, message: "zlib could not start a gzip stream", path: output.path)
        }
        defer { deflateEnd(stream) }

        let outCapacity = 256 * 1024
        let outBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: outCapacity, alignment: 16)
        defer { outBuffer.deallocate() }
        let outBase = outBuffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        let sink = DigestingWriter(output)
        let original = SHA256()
        var originalSize = 0

        func deflateAvailable(flush: Int32) throws(FileError) -> Int32 {
            var result: Int32
            repeat {
                stream.pointee.next_out = outBase
                stream.pointee.avail_out = UInt32(outCapacity)
                result = deflate(stream, flush)
                if result == Z_STREAM_ERROR {
                    throw FileError(
                        code: .compression,
                        message: "zlib failed to compress \(input.path)",
                        path: output.path
                    )
                }
                let produced = outCapacity - Int(stream.pointee.avail_out)
                try sink.write(UnsafeRawBufferPointer(rebasing: outBuffer[0..<produced]))
            } while stream.pointee.avail_out == 0
            return result
        }

        try StreamCopy.forEachBlock(of: input) { block throws(FileError) in
            original.update(block)
            originalSize += block.count
            // zlib's next_in is not const-qualified, but deflate only reads through it.
            stream.pointee.next_in = UnsafeMutablePointer(
                mutating: block.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = UInt32(block.count)
            _ = try deflateAvailable(flush: Z_NO_FLUSH)
        }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while try deflateAvailable(flush: Z_FINISH) != Z_STREAM_END {}
        return StoredInputDigests(
            original: FileDigest(size: originalSize, sha256: original.finalizeHex()),
            stored: sink.digest()
        )
    }
}

/// Writes to a file while hashing and counting what was written.
final class DigestingWriter {
    private let file: OpenFile
    private let hasher = SHA256()
    private var size = 0

    init(_ file: OpenFile) { self.file = file }

    func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        guard bytes.count > 0 else { return }
        hasher.update(bytes)
        size += bytes.count
        try file.write(bytes)
    }

    /// The size and SHA-256 of everything written; call once, at the end.
    func digest() -> FileDigest { FileDigest(size: size, sha256: hasher.finalizeHex()) }
}
