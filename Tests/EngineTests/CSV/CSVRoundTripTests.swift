import Glibc
import Testing

@testable import Engine

/// Reads every record of a file through the chunk reader and the scanner.
func readAllRecords(_ path: String, chunkSize: Int) throws -> (records: [[String]], lines: [Int]) {
    let reader = try CSVChunkReader(path: path, chunkSize: chunkSize)
    var records: [[String]] = []
    var lines: [Int] = []
    var fields: [FieldSpan] = []
    while let chunk = try reader.next() {
        #expect(chunk.bytes.last == UInt8(ascii: "\n") || reader.bytesRead == reader.fileSize)
        chunk.bytes.withUnsafeBufferPointer { bytes in
            var position = 0
            var line = chunk.firstLine
            while position < bytes.count {
                let record = CSVRecordScanner.scan(bytes, from: position, into: &fields)
                lines.append(line)
                line += record.newlines
                position = record.next
                records.append(fields.map { CSVRecordScanner.text(of: $0, in: bytes) })
            }
        }
    }
    return (records, lines)
}

@Suite("CSV round trip and chunking")
struct CSVRoundTripTests {
    static let alphabet: [String] = ["a", "Z", "7", " ", ",", "\"", "\n", "\r\n", "é", "😀", "-", ".", "\t", "x"]

    @Test("any generated table written and read back is unchanged", arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func roundTrip(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let columns = Int(generator.next() % 5) + 2
        let rows = Int(generator.next() % 300) + 1
        var table: [[String]] = []
        for _ in 0...rows {
            table.append(
                (0..<columns).map { _ in
                    let length = Int(generator.next() % 8)
                    return (0..<length).map { _ in Self.alphabet[Int(generator.next() % UInt64(Self.alphabet.count))] }.joined()
                })
        }
        var buffer = CSVOutputBuffer()
        for row in table {
            for (index, value) in row.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                buffer.appendField(value)
            }
            buffer.append(UInt8(ascii: "\n"))
        }
        var bytes = buffer.bytes
        if generator.next() % 2 == 0 { bytes.removeLast() }  // no final newline
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/table.csv"
        folder.write(path, bytes)
        for chunkSize in [64, 100, 1 << 20] {
            let read = try readAllRecords(path, chunkSize: chunkSize)
            #expect(read.records == table, "seed \(seed), chunk size \(chunkSize)")
        }
    }

    @Test("chunks end on record boundaries even with quoted newlines, and line numbers stay exact")
    func chunkBoundaries() throws {
        var text = "id,note\n"
        var expectedLines: [Int] = [1]
        var line = 2
        for i in 0..<500 {
            expectedLines.append(line)
            if i % 7 == 0 {
                text += "\(i),\"multi\nline \"\"quoted\"\"\n,text\"\n"
                line += 3
            } else {
                text += "\(i),plain \(i)\r\n"
                line += 1
            }
        }
        let folder = try TemporaryFolder()
        let path = folder.file("notes.csv", text)
        let whole = try readAllRecords(path, chunkSize: 1 << 20)
        #expect(whole.records.count == 501)
        #expect(whole.lines == expectedLines)
        for chunkSize in [64, 65, 97, 128, 1000] {
            let chunked = try readAllRecords(path, chunkSize: chunkSize)
            #expect(chunked.records == whole.records, "chunk size \(chunkSize)")
            #expect(chunked.lines == expectedLines, "chunk size \(chunkSize)")
        }
    }

    @Test("a UTF-8 byte-order mark is skipped but hashed")
    func byteOrderMark() throws {
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/bom.csv"
        folder.write(path, [0xEF, 0xBB, 0xBF] + Array("a,b\n1,2\n".utf8))
        let read = try readAllRecords(path, chunkSize: 64)
        #expect(read.records == [["a", "b"], ["1", "2"]])
        let reader = try CSVChunkReader(path: path)
        while try reader.next() != nil {}
        // sha256 of EF BB BF "a,b\n1,2\n", from sha256sum.
        #expect(reader.finalizeSHA256() == "4baf8d035fbc583379d998ac9ed3d18276d308ee43cf945ee88d0c54cca33992")
        #expect(reader.bytesRead == 11)
    }
}

@Suite("Chunk reader byte counting")
struct ChunkReaderCountingTests {
    @Test("quotes and newlines are counted exactly at every length and alignment")
    func countsMatchAPlainLoop() {
        var generator = SplitMix64(seed: 5)
        let alphabet = Array("ab,\"\n\r1".utf8)
        let bytes = (0..<5000).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
        for start in [0, 1, 3, 31, 63] {
            for length in [0, 1, 7, 31, 32, 33, 63, 64, 65, 127, 1000, 4000] {
                let slice = Array(bytes[start..<(start + length)])
                let counted = CSVChunkReader.countQuotesAndNewlines(slice)
                #expect(counted.quotes == slice.filter { $0 == UInt8(ascii: "\"") }.count)
                #expect(counted.newlines == slice.filter { $0 == UInt8(ascii: "\n") }.count)
            }
        }
    }
}
