import Testing

@testable import Engine

/// Scans `text` into records of field values with the engine's scanner.
func scanAll(_ text: String) -> [[String]] {
    var records: [[String]] = []
    var fields: [FieldSpan] = []
    Array(text.utf8).withUnsafeBufferPointer { bytes in
        var position = 0
        while position < bytes.count {
            let record = CSVRecordScanner.scan(bytes, from: position, into: &fields)
            position = record.next
            records.append(fields.map { CSVRecordScanner.text(of: $0, in: bytes) })
        }
    }
    return records
}

@Suite("CSV record scanner")
struct CSVRecordScannerTests {
    @Test("plain fields, LF and CRLF line ends, missing final newline")
    func plain() {
        #expect(scanAll("a,b,c\n1,2,3\n") == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(scanAll("a,b\r\n1,2\r\n") == [["a", "b"], ["1", "2"]])
        #expect(scanAll("a,b\n1,2") == [["a", "b"], ["1", "2"]])
        #expect(scanAll("a,,\n") == [["a", "", ""]])
    }

    @Test("quoted fields with commas, doubled quotes, CRLF and newlines inside")
    func quoted() {
        #expect(scanAll("\"a,b\",\"say \"\"hi\"\"\"\n") == [["a,b", "say \"hi\""]])
        #expect(scanAll("\"line1\nline2\",x\r\n") == [["line1\nline2", "x"]])
        #expect(scanAll("\"a\r\nb\",\"\"\n") == [["a\r\nb", ""]])
        #expect(scanAll("\"end\"") == [["end"]])
    }

    @Test("newlines inside quotes are counted for line numbers")
    func newlineCounting() {
        var fields: [FieldSpan] = []
        Array("\"a\nb\nc\",d\nnext\n".utf8).withUnsafeBufferPointer { bytes in
            let record = CSVRecordScanner.scan(bytes, from: 0, into: &fields)
            #expect(record.newlines == 3)
            #expect(record.next == 10)
        }
    }

    @Test("a quote inside an unquoted field or text after a closing quote is malformed")
    func malformed() {
        var fields: [FieldSpan] = []
        Array("ab\"c,d\n".utf8).withUnsafeBufferPointer { bytes in
            let record = CSVRecordScanner.scan(bytes, from: 0, into: &fields)
            // The stray quote opens quoting (parity rule), so the record runs to the end.
            #expect(fields[0].isMalformed)
            #expect(record.unterminatedQuote)
        }
        Array("\"ab\"x,d\nok\n".utf8).withUnsafeBufferPointer { bytes in
            let record = CSVRecordScanner.scan(bytes, from: 0, into: &fields)
            #expect(fields.count == 2)
            #expect(fields[0].isMalformed)
            #expect(!fields[1].isMalformed)
            #expect(record.next == 8)
        }
    }

    @Test("an unterminated quote is reported")
    func unterminated() {
        var fields: [FieldSpan] = []
        Array("a,\"bc\n1,2\n".utf8).withUnsafeBufferPointer { bytes in
            let record = CSVRecordScanner.scan(bytes, from: 0, into: &fields)
            #expect(record.unterminatedQuote)
            #expect(record.next == bytes.count)
        }
    }
}
