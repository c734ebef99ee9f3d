import Glibc
import Parquet
import Testing

/// Damaged copies of good fixtures: each must give a ParquetError with a clear message, never a crash.
@Suite struct MalformedFileTests {
    /// Writes `bytes` to a temporary file and opens it, reading every column of every row group.
    static func readAll(_ bytes: [UInt8]) throws(ParquetError) {
        var template = Array("/tmp/parquet-malformed-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(descriptor >= 0)
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        bytes.withUnsafeBytes { precondition(write(descriptor, $0.baseAddress, $0.count) == $0.count) }
        close(descriptor)
        let file = try ParquetFile(path: path)
        for rowGroup in 0..<file.rowGroups.count {
            for column in 0..<file.columns.count { _ = try file.readColumn(rowGroup: rowGroup, column: column) }
        }
    }

    static func expectError(_ bytes: [UInt8], _ code: ParquetError.Code, containing text: String) {
        do {
            try readAll(bytes)
            Issue.record("no error; \(code) expected")
        } catch {
            #expect(error.code == code, "\(error)")
            #expect(error.description.contains(text), "\(error)")
            #expect(error.description.hasPrefix("/tmp/parquet-malformed-"), "\(error)")
        }
    }

    let good = Fixtures.bytes("plain-v1-none.parquet")

    @Test func goodCopyReads() throws {
        try Self.readAll(good)
    }

    @Test func truncatedFile() {
        Self.expectError(Array(good[0..<(good.count - 100)]), .notParquet, containing: "does not end with PAR1")
        Self.expectError(Array(good[0..<11]), .notParquet, containing: "at least 12")
        Self.expectError([], .notParquet, containing: "at least 12")
    }

    @Test func badMagic() {
        var head = good
        head[0] = UInt8(ascii: "X")
        Self.expectError(head, .notParquet, containing: "does not start with PAR1")
        var tail = good
        tail[tail.count - 1] = UInt8(ascii: "X")
        Self.expectError(tail, .notParquet, containing: "does not end with PAR1")
    }

    @Test func footerLengthPastTheStart() {
        var bytes = good
        let length = UInt32(bytes.count - 11).littleEndian
        withUnsafeBytes(of: length) { bytes.replaceSubrange((bytes.count - 8)..<(bytes.count - 4), with: $0) }
        Self.expectError(bytes, .notParquet, containing: "the footer claims")
    }

    @Test func columnChunkPastTheEnd() {
        // Cut 2000 bytes out of the column data: the footer's later offsets now point past it.
        let bytes = Array(good[0..<4] + good[2004...])
        Self.expectError(bytes, .corruptMetadata, containing: "the column data ends at")
    }

    @Test func pageHeaderWithALyingCompressedSize() throws {
        // The first page of the first column starts at byte 4: type (0x15 0x00), uncompressed
        // size (0x15 varint), compressed size (0x15 varint). Make the compressed size huge.
        var bytes = good
        #expect(Array(bytes[4..<6]) == [0x15, 0x00])
        var position = 7
        while bytes[position] & 0x80 != 0 { position += 1 }
        position += 1
        #expect(bytes[position] == 0x15)
        let start = position + 1
        var end = start
        while bytes[end] & 0x80 != 0 { end += 1 }
        for index in start..<end { bytes[index] = 0xFF }
        bytes[end] = 0x7F
        Self.expectError(bytes, .corruptPage, containing: "compressed bytes, only")
    }

    @Test func dictionaryIndexOutOfRange() throws {
        // The id column's dictionary page (128 values: zigzag 256 = 0x80 0x02) claims 1 value
        // instead (0x82 0x00 is the same width): every index above 0 is out of range.
        var bytes = Fixtures.bytes("dictionary-v1-none.parquet")
        let pattern: [UInt8] = [0x4C, 0x15, 0x80, 0x02]
        let found = try #require((4..<64).first { Array(bytes[$0..<($0 + 4)]) == pattern })
        bytes[found + 2] = 0x82
        bytes[found + 3] = 0x00
        Self.expectError(bytes, .corruptPage, containing: "is out of range: the dictionary holds 1 values")
    }

    @Test func garbageThrift() {
        let footerLength = Int(good[good.count - 8]) | Int(good[good.count - 7]) << 8 | Int(good[good.count - 6]) << 16
        let footerStart = good.count - 8 - footerLength
        var garbage = good
        for index in footerStart..<(good.count - 8) { garbage[index] = 0xFF }
        Self.expectError(garbage, .corruptMetadata, containing: "malformed Thrift metadata")
        // Structs nested without end: bounded depth, not a stack overflow.
        var deep = good
        for index in footerStart..<(good.count - 8) { deep[index] = 0x1C }
        Self.expectError(deep, .corruptMetadata, containing: "nested more than")
        // A list that claims more elements than there are bytes.
        var list = good
        let claim: [UInt8] = [0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0x0F]
        list.replaceSubrange(footerStart..<(footerStart + claim.count), with: claim)
        Self.expectError(list, .corruptMetadata, containing: "claims")
    }

    @Test(arguments: ["dictionary-v2-snappy.parquet", "delta-v1-zstd.parquet", "bytestreamsplit-v2-gzip.parquet", "plain-v1-none.parquet"])
    func corruptedBytesNeverCrash(_ name: String) {
        // About 600 positions in turn set to a pseudo-random byte: any outcome but a crash is fine.
        let original = Fixtures.bytes(name)
        var generator = UInt64(0x9E37_79B9_7F4A_7C15)
        for position in stride(from: 0, to: original.count, by: max(7, original.count / 600)) {
            var bytes = original
            generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[position] = UInt8(truncatingIfNeeded: generator >> 56)
            do { try Self.readAll(bytes) } catch { #expect(!error.message.isEmpty) }
        }
    }
}
