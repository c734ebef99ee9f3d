import Parquet

/// Parquet rows through the same batches, model, formatting and rejection as CSV records.
///
/// A slice's id and echoed columns are first written as CSV text, one line per row: that text
/// stands in for the record, so ``OutputSchema`` copies it as it copies a plain CSV record. The
/// features go straight from the decoded columns into the batch, without text in between.
extension WorkerState {
    /// Rows checked per block: their features are converted together, column by column.
    private static let blockRows = 1024

    mutating func run(_ slice: ColumnSlice, into result: inout ChunkResult) {
        self.slice = slice
        let plan = processor.plan
        runCount = plan.echoedColumns.isEmpty ? 0 : 1
        let parseStarted = monotonicSeconds()
        let rowCountInSlice = slice.rows.count
        // Each row's text: [start, end of id, end) in `text`.
        var text: [UInt8] = []
        text.reserveCapacity(rowCountInSlice * (8 + 16 * plan.echoedColumns.count))
        var bounds = [(start: Int, idEnd: Int, end: Int)](repeating: (0, 0, 0), count: rowCountInSlice)
        let id = slice.columns[plan.idColumn]!
        let echoed = plan.echoedColumns.map { slice.columns[$0]! }
        for (k, row) in slice.rows.enumerated() {
            let start = text.count
            Self.appendField(id, row, to: &text)
            let idEnd = text.count
            for column in echoed {
                text.append(UInt8(ascii: ","))
                Self.appendField(column, row, to: &text)
            }
            bounds[k] = (start, idEnd, text.count)
        }
        if processor.mode == .predict {
            output.reserve(rowCountInSlice * (48 + processor.timestamp.count) + text.count)
        }
        let featureColumns = plan.featureColumns.map { slice.columns[$0]! }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Self.blockRows * max(featureCount, 1))
        defer { scratch.deallocate() }
        var nullRows: [Int] = []
        result.timings.parseSeconds += monotonicSeconds() - parseStarted
        text.withUnsafeBufferPointer { bytes in
            var blockStart = slice.rows.lowerBound
            while blockStart < slice.rows.upperBound && !stopped {
                let parseStarted = monotonicSeconds()
                let block = blockStart..<min(blockStart + Self.blockRows, slice.rows.upperBound)
                for (f, column) in featureColumns.enumerated() {
                    Self.fillFeature(column, rows: block, into: scratch + f, stride: featureCount, nullRows: &nullRows)
                }
                for row in block where !stopped {
                    let k = row - slice.rows.lowerBound
                    let values = scratch + (row - block.lowerBound) * featureCount
                    let line = slice.firstRowNumber + row
                    result.rowsRead += 1
                    if let issue = rowIssue(slice, row: row, line: line, id: id, idText: bytes, bounds[k], values: values) {
                        rejectParquetRow(issue, row: row, of: slice, into: &result)
                        continue
                    }
                    let idSpan = FieldSpan(start: bounds[k].start, end: bounds[k].idEnd, flags: 0)
                    if processor.trackDuplicateIDs { result.ids.record(bytes, idSpan, line: line) }
                    guard processor.mode == .predict else {
                        result.rowsPredicted += 1
                        continue
                    }
                    (features + rowCount * featureCount).update(from: values, count: featureCount)
                    rows[rowCount] = PendingRow(
                        line: line, recordStart: bounds[k].start, recordEnd: bounds[k].end, unquoted: true, sliceRow: row)
                    let kept = keptSpans + rowCount * spansPerRow
                    kept[0] = idSpan
                    // One span for every echoed column: the text after the id's comma.
                    if runCount == 1 { kept[1] = FieldSpan(start: bounds[k].idEnd + 1, end: bounds[k].end, flags: 0) }
                    rowCount += 1
                    if rowCount == capacity {
                        result.timings.parseSeconds += monotonicSeconds() - parseStarted
                        flush(bytes, into: &result)
                    }
                }
                result.timings.parseSeconds += monotonicSeconds() - parseStarted
                blockStart = block.upperBound
            }
            if !stopped && rowCount > 0 { flush(bytes, into: &result) }
        }
        result.output = output.takeBlock()
        result.rejectedOutput = rejected.takeBlock()
    }

    /// The first problem of a row, nil when it can be predicted: a null or blank id, then a
    /// missing (null), non-finite or out-of-range feature.
    private func rowIssue(
        _ slice: ColumnSlice, row: Int, line: Int, id: ParquetColumnData, idText: UnsafeBufferPointer<UInt8>,
        _ bounds: (start: Int, idEnd: Int, end: Int), values: UnsafeMutablePointer<Float>
    ) -> ValidationIssue? {
        let plan = processor.plan
        if id.isNull(row) || RecordValidator.isBlank(idText, FieldSpan(start: bounds.start, end: bounds.idEnd, flags: 0)) {
            return issue(slice, row: row, line: line, column: plan.idColumn, rule: .emptyID, "is empty; every row needs an id")
        }
        for f in 0..<featureCount where !values[f].isFinite {
            let column = plan.featureColumns[f]
            let data = slice.columns[column]!
            if data.isNull(row) {
                return issue(
                    slice, row: row, line: line, column: column, rule: .emptyValue, "is missing (null); every feature needs a number")
            }
            if data.column.physicalType == .byteArray {
                let problem = data.withBytes(row) { raw in
                    raw.withMemoryRebound(to: UInt8.self) { Self.textFeatureProblem(DecimalParser.parse($0, 0, $0.count)) }
                }
                return issue(slice, row: row, line: line, column: column, rule: problem.rule, problem.text)
            }
            if let value = data.doubleValue(row), value.isFinite {
                return issue(slice, row: row, line: line, column: column, rule: .outOfRange, "is outside the Float32 range (±3.4e38)")
            }
            return issue(slice, row: row, line: line, column: column, rule: .nonFinite, "is not finite; features must be finite numbers")
        }
        return nil
    }

    private func issue(
        _ slice: ColumnSlice, row: Int, line: Int, column: Int, rule: ValidationIssue.Rule, _ problem: String
    ) -> ValidationIssue {
        var value: [UInt8] = []
        slice.columns[column]?.appendText(row, to: &value)
        let text = String(decoding: value, as: UTF8.self)
        let name = processor.plan.header[column]
        return ValidationIssue(
            file: processor.file, line: line, rowGroup: slice.rowGroup, column: column + 1, columnName: name, value: text, rule: rule,
            message: "column '\(name)' value \"\(text)\" \(problem)")
    }

    /// Counts and files a rejected Parquet row, re-written as CSV from its decoded columns (in the
    /// file's order).
    mutating func rejectParquetRow(_ issue: ValidationIssue, row: Int, of slice: ColumnSlice, into result: inout ChunkResult) {
        var record: [UInt8] = []
        for column in slice.columns {
            guard let column else { continue }
            if !record.isEmpty { record.append(UInt8(ascii: ",")) }
            Self.appendField(column, row, to: &record)
        }
        record.withUnsafeBufferPointer { reject(issue, record: $0, into: &result) }
    }

    /// Converts one feature column's `rows` to Float, `stride` apart. Text columns are parsed as
    /// decimal numbers, as CSV fields are; a value that is not one becomes NaN (the row is then
    /// rejected with the parser's reason).
    private static func fillFeature(
        _ data: ParquetColumnData, rows: Range<Int>, into destination: UnsafeMutablePointer<Float>, stride: Int, nullRows: inout [Int]
    ) {
        if data.column.isNumeric {
            // A numeric column converts without failing; `nullRows` is not needed (nulls are NaN).
            try? data.copyFloats(into: destination, stride: stride, rows: rows, nullRows: &nullRows)
            nullRows.removeAll(keepingCapacity: true)
            return
        }
        for (index, row) in rows.enumerated() {
            let parsed =
                data.isNull(row)
                ? .empty
                : data.withBytes(row) { raw in
                    raw.withMemoryRebound(to: UInt8.self) { DecimalParser.parse($0, 0, $0.count) }
                }
            if case .number(let number) = parsed {
                destination[index * stride] = Float(number)
            } else {
                destination[index * stride] = .nan
            }
        }
    }

    private static func textFeatureProblem(_ parsed: ParsedNumber) -> (rule: ValidationIssue.Rule, text: String) {
        switch parsed {
        case .number: (.outOfRange, "is outside the Float32 range (±3.4e38)")
        case .empty: (.emptyValue, "is empty; every feature needs a number")
        case .nonFinite: (.nonFinite, "is not finite; features must be finite numbers")
        case .notANumber: (.notANumber, "is not a number")
        }
    }

    /// Appends row `row` of a column as one CSV field: its text (docs/PARQUET.md), quoted when it
    /// holds a comma, quote or line break (only text and binary columns can).
    static func appendField(_ data: ParquetColumnData, _ row: Int, to text: inout [UInt8]) {
        let start = text.count
        data.appendText(row, to: &text)
        guard data.column.physicalType == .byteArray || data.column.physicalType == .fixedLenByteArray else { return }
        let needsQuotes = text[start...].contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return }
        let value = Array(text[start...])
        text.removeSubrange(start...)
        text.append(UInt8(ascii: "\""))
        for byte in value {
            if byte == UInt8(ascii: "\"") { text.append(byte) }
            text.append(byte)
        }
        text.append(UInt8(ascii: "\""))
    }
}
