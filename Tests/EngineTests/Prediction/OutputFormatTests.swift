import Testing

@testable import Engine

/// The two CSV files a run writes, each from the one type that owns its bytes.
@Suite("predictions.csv and rejected.csv writers")
struct OutputFormatTests {
    @Test("the predictions header: id, the schema's columns, echoed columns, quoted where needed")
    func predictionsHeader() {
        let binary = OutputSchema(kind: .binary, transform: .none, width: 1)
        #expect(
            String(decoding: binary.headerLine(idColumn: "id", echoedColumns: ["a", "b,c"]), as: UTF8.self)
                == "id,prediction_score,prediction_class,timestamp,a,\"b,c\"\n")
        let regression = OutputSchema(kind: .regression, transform: .none, width: 1)
        #expect(
            String(decoding: regression.headerLine(idColumn: "id", echoedColumns: []), as: UTF8.self) == "id,prediction_value,timestamp\n")
    }

    @Test("a rejected row: line, column, name, rule, reason, and the record without its line ending, quoted")
    func rejectedRow() {
        var writer = RejectedRowWriter()
        let issue = ValidationIssue(
            file: "in.csv", line: 7, column: 3, columnName: "income", value: "abc", rule: .notANumber,
            message: "column 'income' value \"abc\" is not a number")
        let record = Array("7,30,abc\r\n".utf8)
        record.withUnsafeBufferPointer { writer.append(issue, record: $0) }
        let text = String(decoding: writer.takeBlock().array, as: UTF8.self)
        #expect(text == "7,3,income,not-a-number,\"column 'income' value \"\"abc\"\" is not a number\",\"7,30,abc\"\n")
        #expect(String(decoding: RejectedRowWriter.header, as: UTF8.self) == "line,column,column_name,rule,reason,record\n")
    }
}
