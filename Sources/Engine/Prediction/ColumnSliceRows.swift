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
        // Each row's text: [start, end of id, end) in `text`: the id (digits written straight in
        // for an integer column, the usual case), then the echoed columns, cut from their text
        // made for the whole slice one column at a time.
        let id = slice.columns[plan.idColumn]!
        let idIsInteger: Bool
        switch (id.column.physicalType, id.column.logicalType) {
        case (.int32, .none), (.int64, .none), (.int32, .integer(_, true)), (.int64, .integer(_, true)): idIsInteger = true
        default: idIsInteger = false
        }
        let idText = ColumnText(idIsInteger ? [] : [id], rows: slice.rows)
        let echoed = ColumnText(plan.echoedColumns.map { slice.columns[$0]! }, rows: slice.rows)
        var text = CSVOutputBuffer(capacity: idText.text.count + echoed.text.count + rowCountInSlice * (21 + echoed.columns))
        var bounds = [(start: Int, idEnd: Int, end: Int)](repeating: (0, 0, 0), count: rowCountInSlice)
        idText.withFields { idField in
            echoed.withFields { field in
                for (k, row) in slice.rows.enumerated() {
                    let start = text.count
                    if !idIsInteger {
                        idField(0, k, &text)
                    } else if let value = id.integerValue(row) {
                        text.append(integer: Int(value))
                    }  // else a null id: no text, and the row is rejected for it
                    let idEnd = text.count
                    for c in 0..<echoed.columns {
                        text.append(UInt8(ascii: ","))
                        field(c, k, &text)
                    }
                    bounds[k] = (start, idEnd, text.count)
                }
            }
        }
        if processor.mode == .predict {
            output.reserve(rowCountInSlice * (48 + processor.timestamp.count) + text.count)
        }
        let featureColumns = plan.featureColumns.map { slice.columns[$0]! }
        let blockFeatures = UnsafeMutablePointer<Float>.allocate(capacity: Self.blockRows * max(featureCount, 1))
        defer { blockFeatures.deallocate() }
        var nullRows: [Int] = []
        result.timings.parseSeconds += monotonicSeconds() - parseStarted
        text.withBytes { bytes in
            var blockStart = slice.rows.lowerBound
            while blockStart < slice.rows.upperBound && !stopped {
                var parseStarted = monotonicSeconds()
                let block = blockStart..<min(blockStart + Self.blockRows, slice.rows.upperBound)
                for (f, column) in featureColumns.enumerated() {
                    Self.fillFeature(column, rows: block, into: blockFeatures + f, stride: featureCount, nullRows: &nullRows)
                }
                for row in block where !stopped {
                    let k = row - slice.rows.lowerBound
                    let values = blockFeatures + (row - block.lowerBound) * featureCount
                    let line = slice.firstRowNumber + row
                    result.rowsRead += 1
                    if let issue = rowIssue(slice, row: row, line: line, id: id, idText: bytes, bounds[k], values: values) {
                        rejectParquetRow(issue, row: row, of: slice, into: &result)
                        continue
                    }
                    let idSpan = FieldSpan(start: bounds[k].start, end: bounds[k].idEnd, flags: 0)
                    if processor.trackDuplicateIDs {
                        if let value = id.integerValue(row), value >= 0 {
                            result.ids.record(integer: UInt64(value), line: line)
                        } else {
                            result.ids.record(bytes, idSpan, line: line)
                        }
                    }
                    guard processor.mode == .predict else {
                        result.rowsPredicted += 1
                        continue
                    }
                    (features + rowCount * featureCount).update(from: values, count: featureCount)
                    if !fastPathAllowed { fillTypedFeatures(slice, row: row, at: rowCount * featureCount) }
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
                        parseStarted = monotonicSeconds()
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

    /// Whether the row's value is missing: a null, or a text that is empty or only spaces. (A NaN
    /// stored in a float column is a value, rejected as not finite, as `nan` in a CSV field is.)
    private static func isMissing(_ data: ParquetColumnData, row: Int) -> Bool {
        if data.isNull(row) { return true }
        guard data.column.physicalType == .byteArray else { return false }
        return data.withBytes(row) { raw in
            raw.withMemoryRebound(to: UInt8.self) { DecimalParser.parse($0, 0, $0.count) == .empty }
        }
    }

    /// The first problem of a row, nil when it can be predicted: a null or blank id, then a
    /// missing (null), non-finite or out-of-range feature.
    private func rowIssue(
        _ slice: ColumnSlice, row: Int, line: Int, id: ParquetColumnData, idText: UnsafeBufferPointer<UInt8>,
        _ bounds: (start: Int, idEnd: Int, end: Int), values: UnsafeMutablePointer<Float>
    ) -> ValidationIssue? {
        let plan = processor.plan
        let blank =
            id.column.physicalType == .byteArray
            && RecordValidator.isBlank(idText, FieldSpan(start: bounds.start, end: bounds.idEnd, flags: 0))
        if blank || id.isNull(row) {
            return issue(slice, row: row, line: line, column: plan.idColumn, rule: .emptyID, "is empty; every row needs an id")
        }
        for f in 0..<featureCount where validator.featureTypes[f] == .int64 {
            let column = plan.featureColumns[f]
            let data = slice.columns[column]!
            if data.isNull(row) {
                return issue(
                    slice, row: row, line: line, column: column, rule: .emptyValue,
                    "is missing (null); every feature needs a whole number")
            }
            if Self.integer(data, row: row) == nil {
                return issue(slice, row: row, line: line, column: column, rule: .notANumber, "is not a whole number (int64)")
            }
        }
        for f in 0..<featureCount where !values[f].isFinite && validator.featureTypes[f] == .float {
            let column = plan.featureColumns[f]
            let data = slice.columns[column]!
            // A model that handles missing values takes a null, or an empty text, as NaN.
            if validator.acceptsMissing[f] && Self.isMissing(data, row: row) { continue }
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
            // As the file holds it: a column kept as Float shows an overflowed double as infinity.
            if let value = slice.original(column)?.doubleValue(row), value.isFinite {
                return issue(slice, row: row, line: line, column: column, rule: .outOfRange, "is outside the Float32 range (±3.4e38)")
            }
            return issue(slice, row: row, line: line, column: column, rule: .nonFinite, "is not finite; features must be finite numbers")
        }
        return nil
    }

    /// Writes a row's string and int64 features at `offset` of the batch: a string feature as the
    /// column's text (a null is the empty string), an int64 one as its integer (checked by
    /// `rowIssue`).
    private func fillTypedFeatures(_ slice: ColumnSlice, row: Int, at offset: Int) {
        for (f, column) in processor.plan.featureColumns.enumerated() {
            let data = slice.columns[column]!
            switch validator.featureTypes[f] {
            case .float:
                continue
            case .int64:
                integers[offset + f] = Self.integer(data, row: row) ?? 0
            case .string:
                var text: [UInt8] = []
                data.appendText(row, to: &text)
                strings[offset + f] = String(decoding: text, as: UTF8.self)
            }
        }
    }

    /// A value as an int64: an integer column's, or a whole number written in a text or float column.
    private static func integer(_ data: ParquetColumnData, row: Int) -> Int64? {
        if let value = data.integerValue(row) { return value }
        var text: [UInt8] = []
        data.appendText(row, to: &text)
        return text.withUnsafeBufferPointer { RecordValidator.wholeNumber($0, 0, $0.count) }
    }

    private func issue(
        _ slice: ColumnSlice, row: Int, line: Int, column: Int, rule: ValidationIssue.Rule, _ problem: String
    ) -> ValidationIssue {
        var value: [UInt8] = []
        slice.original(column)?.appendText(row, to: &value)
        let text = String(decoding: value, as: UTF8.self)
        let name = processor.plan.header[column]
        return ValidationIssue(
            file: processor.file, line: line, rowGroup: slice.rowGroup, column: column + 1, columnName: name, value: text, rule: rule,
            message: "column '\(name)' value \"\(text)\" \(problem)")
    }

    /// Counts and files a rejected Parquet row, re-written as CSV from its decoded columns (in the
    /// file's order).
    mutating func rejectParquetRow(_ issue: ValidationIssue, row: Int, of slice: ColumnSlice, into result: inout ChunkResult) {
        var record = CSVOutputBuffer()
        for index in slice.columns.indices {
            guard let column = slice.original(index) else { continue }
            if record.count > 0 { record.append(UInt8(ascii: ",")) }
            Self.appendField(column, row, to: &record)
        }
        record.withBytes { reject(issue, record: $0, into: &result) }
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
    /// holds a comma, quote or line break.
    static func appendField(_ data: ParquetColumnData, _ row: Int, to text: inout CSVOutputBuffer) {
        ColumnText([data], rows: row..<(row + 1)).withFields { field in field(0, 0, &text) }
    }
}

/// The text of some columns for a range of rows, each column's made in one call, all in one
/// buffer (column after column): CSV fields are cut from it without touching the columns again.
private struct ColumnText {
    let text: [UInt8]
    /// End offset in `text` of row k of column c, at `c * rows + k`.
    let ends: [Int]
    let rows: Int
    let columns: Int
    /// Per column: only text and binary values can hold a comma, quote or line break.
    let mayNeedQuotes: [Bool]

    init(_ data: [ParquetColumnData], rows range: Range<Int>) {
        var text: [UInt8] = []
        var ends: [Int] = []
        ends.reserveCapacity(range.count * data.count)
        for column in data { column.appendTexts(rows: range, to: &text, ends: &ends) }
        self.text = text
        self.ends = ends
        rows = range.count
        columns = data.count
        mayNeedQuotes = data.map { $0.column.physicalType == .byteArray || $0.column.physicalType == .fixedLenByteArray }
    }

    /// Calls `body` with a function that appends row k of column c as one CSV field. (Plain
    /// buffers inside: indexing arrays of columns once per field would retain them each time.)
    @inline(__always)
    func withFields(_ body: ((Int, Int, inout CSVOutputBuffer) -> Void) -> Void) {
        text.withUnsafeBufferPointer { text in
            ends.withUnsafeBufferPointer { ends in
                mayNeedQuotes.withUnsafeBufferPointer { quotes in
                    body { c, k, output in
                        let index = c * rows + k
                        let field = UnsafeBufferPointer(rebasing: text[(index == 0 ? 0 : ends[index - 1])..<ends[index]])
                        if quotes[c] { output.appendField(unescaped: field) } else { output.append(field) }
                    }
                }
            }
        }
    }
}
