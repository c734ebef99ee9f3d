/// rejected.csv: one row per input row the lenient policy rejected, saying where and why, with the
/// record itself. The only code that writes its bytes: the header here, the rows by each worker
/// for its chunk.
struct RejectedRowWriter: ~Copyable {
    /// The first line of every rejected.csv.
    static let header = Array("line,column,column_name,rule,reason,record\n".utf8)

    private var buffer = CSVOutputBuffer()

    /// Adds the row for `record` (its bytes in the input, line ending included or not) rejected
    /// for `issue`: `line,column,column_name,rule,reason,record`.
    mutating func append(_ issue: ValidationIssue, record: UnsafeBufferPointer<UInt8>) {
        var end = record.count
        while end > 0 && (record[end - 1] == UInt8(ascii: "\n") || record[end - 1] == UInt8(ascii: "\r")) { end -= 1 }
        buffer.append(integer: issue.line)
        buffer.append(UInt8(ascii: ","))
        if let column = issue.column { buffer.append(integer: column) }
        buffer.append(UInt8(ascii: ","))
        buffer.appendField(issue.columnName ?? "")
        buffer.append(UInt8(ascii: ","))
        buffer.append(issue.rule.name)
        buffer.append(UInt8(ascii: ","))
        buffer.appendField(issue.message)
        buffer.append(UInt8(ascii: ","))
        buffer.appendField(unescaped: UnsafeBufferPointer(rebasing: record[0..<end]))
        buffer.append(UInt8(ascii: "\n"))
    }

    /// The rows added so far, handed over; the writer starts again empty.
    mutating func takeBlock() -> ByteBlock { buffer.takeBlock() }
}
