import CKernels
import Checksum
import Files
import Glibc

/// A run of complete CSV records cut from a file, with the position of its first byte.
///
/// Chunks always end at a record boundary (a newline outside quotes) or at the end of the
/// file, so each can be parsed on its own, in parallel with the others.
public struct CSVChunk: Sendable {
    /// Position of this chunk in the file, from 0.
    public let index: Int
    /// The bytes of the chunk's records.
    public let bytes: [UInt8]
    /// The 1-based physical line on which the chunk starts.
    public let firstLine: Int
    /// Byte offset of the chunk in the file (after any byte-order mark).
    public let offset: Int
}

/// Cuts a CSV file into chunks of whole records with large sequential reads (of the text after
/// decompression, for `.csv.gz` and `.csv.zst`: see ``InputDecoder``).
///
/// Record boundaries follow RFC 4180: a newline ends a record only when the number of quote
/// characters since the record began is even. Memory is bounded by the chunk size plus
/// `maxRecordBytes`: a record longer than that fails the file (rule `record-too-long`, naming
/// the line where it starts) as soon as the reader holds that much of it, so a file with no
/// line ends (a binary dropped as CSV, a quote never closed) cannot make it read everything.
final class CSVChunkReader: ChunkSource {
    let path: String
    private let input: InputDecoder
    private let chunkSize: Int
    private let maxRecordBytes: Int
    private var pending: [UInt8] = []
    private var atEnd = false
    private var nextIndex = 0
    private var nextLine = 1
    private var nextOffset = 0
    private var checkedBOM = false
    /// Bytes consumed from the file so far, as received (for progress).
    var bytesRead: Int { input.bytesRead }
    /// The file's size, when known.
    var fileSize: Int? { input.fileSize }
    /// How the file is encoded, once the first chunk was read.
    var encoding: InputEncoding? { input.encoding }

    init(
        path: String, chunkSize: Int = 4 << 20, hashing: Bool = true,
        maxRecordBytes: Int = PredictionOptions.defaultMaxRecordBytes
    ) throws(FileError) {
        self.path = path
        self.input = try InputDecoder(path: path, hashing: hashing)
        self.chunkSize = max(chunkSize, 64)
        self.maxRecordBytes = max(maxRecordBytes, 1)
    }

    /// The next chunk, or nil at the end of the file.
    /// - Throws: ``PredictionError`` for a read or decompression failure, or a record longer than
    ///   `maxRecordBytes` (a validation issue on the line where the record starts).
    func next() throws(PredictionError) -> CSVChunk? {
        while true {
            if !atEnd {
                let got: Int
                do { got = try input.read(into: &pending, count: chunkSize) } catch { throw PredictionError(error) }
                if got == 0 { atEnd = true }
                if !checkedBOM, pending.count >= 3 || atEnd {
                    checkedBOM = true
                    if pending.count >= 3, pending[0] == 0xEF, pending[1] == 0xBB, pending[2] == 0xBF {
                        pending.removeFirst(3)
                        nextOffset = 3
                    }
                }
            }
            if pending.isEmpty {
                if atEnd { return nil }
                continue
            }
            // One pass counts quotes and newlines; the cut is then found from the end.
            let (quotes, newlines) = Self.countQuotesAndNewlines(pending)
            let cut: Int
            if atEnd {
                cut = pending.count
            } else if let boundary = Self.lastRecordBoundary(in: pending, quotes: quotes) {
                cut = boundary + 1
            } else {
                // One record longer than what we hold: read more, up to the limit.
                if pending.count > maxRecordBytes { throw recordTooLong(line: nextLine) }
                continue
            }
            // Records shorter than a chunk need no look; only a chunk longer than the limit can hold one.
            if cut > maxRecordBytes, let line = Self.lineOfRecordLonger(than: maxRecordBytes, in: pending[..<cut]) {
                throw recordTooLong(line: nextLine + line)
            }
            // Hand over the buffer itself; only the partial record after the cut is copied.
            var bytes: [UInt8] = []
            swap(&bytes, &pending)
            if cut < bytes.count {
                pending.reserveCapacity(chunkSize + (bytes.count - cut))
                pending.append(contentsOf: bytes[cut...])
                bytes.removeSubrange(cut...)
            }
            let chunkNewlines = pending.isEmpty ? newlines : newlines - Self.countQuotesAndNewlines(pending).newlines
            let chunk = CSVChunk(index: nextIndex, bytes: bytes, firstLine: nextLine, offset: nextOffset)
            nextIndex += 1
            nextOffset += cut
            nextLine += chunkNewlines
            return chunk
        }
    }

    func nextChunk() throws(PredictionError) -> InputChunk? {
        try next().map { .text($0, start: 0, line: $0.firstLine) }
    }

    private func recordTooLong(line: Int) -> PredictionError {
        PredictionError(
            ValidationIssue(
                file: path, line: line, rule: .recordTooLong,
                message:
                    "the record starting on this line is longer than \(maxRecordBytes) bytes (the limit); is this a CSV file? "
                    + "A quote that is never closed makes the rest of the file one record. Raise limits.max_record_bytes "
                    + "(--max-record-bytes) if records this long are expected"))
    }

    /// The 0-based line, counted from the start of `bytes`, where the first record longer than
    /// `limit` bytes (its newline not counted) starts; nil when every record fits. `bytes` starts
    /// at a record boundary. Byte by byte, so it runs only over chunks longer than the limit.
    static func lineOfRecordLonger(than limit: Int, in bytes: ArraySlice<UInt8>) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            var recordStart = 0
            var recordLine = 0
            var line = 0
            var inQuotes = false
            for position in 0..<buffer.count {
                let byte = buffer[position]
                if byte == UInt8(ascii: "\"") {
                    inQuotes.toggle()
                } else if byte == UInt8(ascii: "\n") {
                    line += 1
                    if !inQuotes {
                        if position - recordStart > limit { return recordLine }
                        recordStart = position + 1
                        recordLine = line
                    }
                }
            }
            return buffer.count - recordStart > limit ? recordLine : nil
        }
    }

    /// SHA-256 of every byte received (byte-order mark included, before decompression), nil when
    /// not hashing; call once, after the last chunk.
    func finalizeSHA256() -> String? { input.finalizeSHA256() }

    /// Index of the last newline that ends a record, or nil if there is none; `quotes` is the
    /// number of quote bytes in `bytes` (from ``countQuotesAndNewlines(_:)``).
    static func lastRecordBoundary(in bytes: [UInt8], quotes: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            var quotesAfter = 0
            var position = buffer.count - 1
            while position >= 0 {
                let byte = buffer[position]
                if byte == UInt8(ascii: "\n") {
                    if (quotes - quotesAfter) & 1 == 0 { return position }
                } else if byte == UInt8(ascii: "\"") {
                    quotesAfter += 1
                }
                position -= 1
            }
            return nil
        }
    }

    /// Quote and newline bytes in `bytes` (64 bytes at a time with AVX-512BW).
    static func countQuotesAndNewlines(_ bytes: [UInt8]) -> (quotes: Int, newlines: Int) {
        var quotes = 0
        var newlines = 0
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            iw_count_two_bytes(base, buffer.count, UInt8(ascii: "\""), UInt8(ascii: "\n"), &quotes, &newlines)
        }
        return (quotes, newlines)
    }
}
