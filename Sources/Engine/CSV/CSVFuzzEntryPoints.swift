import Files

/// The CSV chunk reader, the record scanner and the decimal parser on raw bytes, for the fuzz
/// targets in Tests/Fuzz (package access: nothing outside this package sees them).
package enum CSVFuzzEntryPoints {
    /// One field of a scanned record: where it lies in the chunk, how it was quoted, its text.
    package struct Field {
        package var start: Int
        package var end: Int
        package var quoted: Bool
        package var malformed: Bool
        package var text: String
    }

    /// One record as ``CSVRecordScanner`` found it.
    package struct Record {
        package var start: Int
        package var next: Int
        package var newlines: Int
        package var unterminatedQuote: Bool
        package var fields: [Field]
    }

    /// The chunks ``CSVChunkReader`` cuts from the file at `path`, stopping once more than
    /// `byteLimit` bytes were handed out (a decompression bomb must not exhaust the fuzzer).
    package static func chunks(path: String, chunkSize: Int, byteLimit: Int) throws(PredictionError) -> [CSVChunk] {
        let reader: CSVChunkReader
        do { reader = try CSVChunkReader(path: path, chunkSize: chunkSize, hashing: false) } catch { throw PredictionError(error) }
        var chunks: [CSVChunk] = []
        var total = 0
        while total <= byteLimit, let chunk = try reader.next() {
            total += chunk.bytes.count
            chunks.append(chunk)
        }
        return chunks
    }

    /// Every record in `bytes`, scanned from the first byte; stops (returning what it has) at a
    /// record that does not move forward, which the caller reports as a bug.
    package static func records(in bytes: [UInt8]) -> [Record] {
        bytes.withUnsafeBufferPointer { buffer in
            var records: [Record] = []
            var spans: [FieldSpan] = []
            var position = 0
            while position < buffer.count {
                let scanned = CSVRecordScanner.scan(buffer, from: position, into: &spans)
                let fields = spans.map { span in
                    Field(
                        start: span.start, end: span.end, quoted: span.isQuoted, malformed: span.isMalformed,
                        text: span.start <= span.end && span.end <= buffer.count
                            ? CSVRecordScanner.text(of: span, in: buffer) : "")
                }
                records.append(
                    Record(
                        start: position, next: scanned.next, newlines: scanned.newlines,
                        unterminatedQuote: scanned.unterminatedQuote, fields: fields))
                if scanned.next <= position { break }
                position = scanned.next
            }
            return records
        }
    }

    /// ``DecimalParser/parse(_:_:_:)`` of all of `bytes`.
    package static func parseDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> ParsedNumber {
        DecimalParser.parse(bytes, 0, bytes.count)
    }

    /// ``DecimalParser/parsePlainField(_:from:last:)`` at the first byte of `bytes`.
    package static func parsePlainField(_ bytes: UnsafeBufferPointer<UInt8>, last: Bool) -> (Float, Int)? {
        DecimalParser.parsePlainField(bytes, from: 0, last: last)
    }
}
