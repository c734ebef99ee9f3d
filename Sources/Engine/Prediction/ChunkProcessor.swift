/// What one chunk of records produced. Merged in file order by ``PredictionRun``.
struct ChunkResult: Sendable {
    var index = 0
    /// predictions.csv rows for the chunk.
    var output = ByteBlock()
    /// rejected.csv rows for the chunk (lenient policy).
    var rejectedOutput = ByteBlock()
    /// Every rejected row's issue in file order, up to ``ChunkProcessor/issueLimit``.
    var issues: [ValidationIssue] = []
    var rowsRead = 0
    var rowsPredicted = 0
    var rowsRejected = 0
    var blankLines = 0
    var statistics = ScoreStatistics()
    var classCounts: [Int] = []
    /// The ids of the predicted rows, when duplicate ids are tracked.
    var ids = RowIDLog()
    var timings = PredictionReport.StageTimings()
    /// A model failure that stops the run.
    var modelError: PredictionError?
}

/// Everything a worker needs to turn a chunk into output; immutable and shared by all workers.
struct ChunkProcessor: Sendable {
    /// Issues kept per chunk (all rejected rows still go to rejected.csv).
    static let issueLimit = 100

    enum Mode: Sendable {
        /// Validate, predict and format.
        case predict
        /// Validate only: collect issues, no model, no output.
        case validate
    }

    let file: String
    let plan: ColumnPlan
    let schema: OutputSchema
    let model: ONNXModel?
    let threshold: Float
    let strict: Bool
    let batchSize: Int
    let timestamp: [UInt8]
    let trackDuplicateIDs: Bool
    let mode: Mode

    /// Parses, validates, predicts and formats the records of `bytes[start...]`, whose first
    /// byte is on line `firstLine`.
    func process(index: Int, bytes: [UInt8], start: Int, firstLine: Int) -> ChunkResult {
        var result = ChunkResult()
        result.index = index
        if case .multiclass(let labels) = schema.kind { result.classCounts = [Int](repeating: 0, count: labels.count) }
        bytes.withUnsafeBufferPointer { buffer in
            var state = WorkerState(processor: self)
            state.run(buffer, start: start, firstLine: firstLine, into: &result)
        }
        return result
    }
}

/// One row waiting in a batch for the model.
private struct PendingRow {
    var line: Int
    var recordStart: Int
    var recordEnd: Int
    /// Taken by the fast path: its kept spans are the id and then one span per echoed run
    /// (verbatim bytes, commas included); otherwise the id and one span per echoed column.
    var unquoted: Bool
}

/// Per-chunk scratch state of a worker.
///
/// Records take one of two paths. The fast path handles the common record — no quotes, the
/// header's field count, a non-blank id and finite numbers — with one byte loop that notes
/// where fields start, numbers parsed in place and a row-major feature batch. Anything else goes
/// through ``CSVRecordScanner`` and the checks that name the rule, line and column.
private struct WorkerState: ~Copyable {
    let processor: ChunkProcessor
    let columnCount: Int
    let featureCount: Int
    let capacity: Int
    let featureColumns: [Int]
    let echoedRuns: [ClosedRange<Int>]
    /// Spans kept per pending row: the id, then echoed columns (or runs, on the fast path).
    let spansPerRow: Int
    /// Fast path: where each field of the current record starts, plus `recordEnd + 1`.
    let fieldStarts: UnsafeMutablePointer<Int>
    /// For each column, the feature it feeds (its place in a batch row), or -1. A pointer, as
    /// `fieldStarts`: the record loop reads it once per field, without bounds checks.
    let featureSlots: UnsafeMutablePointer<Int>
    /// The batch's features, row-major, as the model takes them.
    let features: UnsafeMutablePointer<Float>
    let rows: UnsafeMutablePointer<PendingRow>
    let keptSpans: UnsafeMutablePointer<FieldSpan>
    var rowCount = 0
    /// General path: the current record's fields.
    var fields: [FieldSpan] = []
    var output = CSVOutputBuffer()
    var rejected = RejectedRowWriter()
    var stopped = false

    init(processor: ChunkProcessor) {
        self.processor = processor
        let plan = processor.plan
        columnCount = plan.header.count
        featureCount = plan.featureColumns.count
        featureColumns = plan.featureColumns
        echoedRuns = plan.echoedRuns
        capacity = processor.mode == .predict ? max(processor.batchSize, 1) : 1
        spansPerRow = 1 + plan.echoedColumns.count
        fieldStarts = .allocate(capacity: columnCount + 1)
        featureSlots = .allocate(capacity: columnCount)
        featureSlots.initialize(repeating: -1, count: columnCount)
        for (feature, column) in plan.featureColumns.enumerated() { featureSlots[column] = feature }
        features = .allocate(capacity: capacity * max(featureCount, 1))
        rows = .allocate(capacity: capacity)
        keptSpans = .allocate(capacity: capacity * spansPerRow)
    }

    deinit {
        fieldStarts.deallocate()
        featureSlots.deallocate()
        features.deallocate()
        rows.deallocate()
        keptSpans.deallocate()
    }

    mutating func run(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, firstLine: Int, into result: inout ChunkResult) {
        var position = start
        var line = firstLine
        var parseStarted = monotonicSeconds()
        if processor.mode == .predict {
            // Echoing every column makes the output about 1.7× the input; scores alone about 0.6×.
            output.reserve(processor.plan.echoedColumns.isEmpty ? bytes.count : 2 * bytes.count)
        }
        while position < bytes.count && !stopped {
            let next: Int
            if let record = parseUnquoted(bytes, from: position),
                addFastRow(bytes, start: position, end: record.end, integerID: record.integerID, line: line, into: &result)
            {
                next = record.end < bytes.count ? record.end + 1 : record.end
                line += 1
            } else {
                let record = CSVRecordScanner.scan(bytes, from: position, into: &fields)
                addRow(bytes, start: position, record: record, line: line, into: &result)
                next = record.next
                line += record.newlines
            }
            position = next
            if rowCount == capacity {
                result.timings.parseSeconds += monotonicSeconds() - parseStarted
                flush(bytes, into: &result)
                parseStarted = monotonicSeconds()
            }
        }
        result.timings.parseSeconds += monotonicSeconds() - parseStarted
        if !stopped && rowCount > 0 { flush(bytes, into: &result) }
        result.output = output.takeBlock()
        result.rejectedOutput = rejected.takeBlock()
    }

    /// Fast path, step 1: one pass over the record at `start` that notes where each field begins
    /// and parses the feature fields straight into the batch row. It accepts only the plain
    /// record — no quotes, the header's field count, features written as `-?digits[.digits]`
    /// with at most 19 digits — and returns the offset of its newline (or the end of the bytes);
    /// nil sends the record to the general path, which parses it again with every check.
    ///
    /// Numbers are exact: Clinger's fast path or Eisel–Lemire, as ``DecimalParser`` does, so
    /// both paths give the same bits.
    @inline(__always)
    private func parseUnquoted(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> PlainRecord? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        let row = features + rowCount * featureCount
        let idColumn = processor.plan.idColumn
        var integerID: UInt64?
        var p = start
        // Offsets stay within the chunk (far below Int.max): wrapping arithmetic spares the
        // overflow checks in the loop that runs once per field.
        var column = 0
        while column < columnCount {
            defer { column &+= 1 }
            fieldStarts[column] = p
            let feature = featureSlots[column]
            if feature >= 0 {
                guard let (value, next) = DecimalParser.parsePlainField(bytes, from: p, last: column &+ 1 == columnCount) else {
                    return nil
                }
                row[feature] = value
                p = next
                continue
            }
            if column == idColumn {
                // A canonical integer id is read as it is skipped.
                var value: UInt64 = 0
                let end = DecimalParser.accumulateDigits(bytes, from: p, to: count, into: &value)
                if end > p, RowIDLog.isCanonical(digits: end - p, first: base[p]),
                    end == count || base[end] == UInt8(ascii: ",") || base[end] == UInt8(ascii: "\n")
                {
                    integerID = value
                    p = end
                }
            }
            while p < count {
                let byte = base[p]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") { break }
                if byte == UInt8(ascii: "\"") { return nil }
                p += 1
            }
            if column + 1 < columnCount {
                guard p < count && base[p] == UInt8(ascii: ",") else { return nil }
                p += 1
            }
        }
        // The record ends here: LF, CRLF or the end of the bytes.
        var recordEnd = p
        if p < count && base[p] == UInt8(ascii: "\r") {
            p += 1
        } else if p > start && base[p - 1] == UInt8(ascii: "\r") && featureSlots[columnCount - 1] < 0 {
            recordEnd = p - 1  // CR swallowed by a last text field
        }
        guard p == count || base[p] == UInt8(ascii: "\n") else { return nil }
        guard p > start else { return nil }  // a blank line
        fieldStarts[columnCount] = recordEnd + 1
        return PlainRecord(end: p, integerID: integerID)
    }

    /// What the fast path's scan found: where the record's newline is (or the end of the bytes),
    /// and its id's value when the id is a canonical integer.
    private struct PlainRecord {
        var end: Int
        var integerID: UInt64?
    }

    @inline(__always)
    private func fieldSpan(_ column: Int) -> FieldSpan {
        FieldSpan(start: fieldStarts[column], end: fieldStarts[column + 1] - 1, flags: 0)
    }

    /// Fast path, step 2: files a parsed record's row. Returns false, changing nothing, if its id
    /// is blank (the general path then says so).
    @inline(__always)
    private mutating func addFastRow(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, integerID: UInt64?, line: Int, into result: inout ChunkResult
    ) -> Bool {
        let id = fieldSpan(processor.plan.idColumn)
        if integerID == nil && Self.isBlank(bytes, id) { return false }
        result.rowsRead += 1
        if processor.trackDuplicateIDs {
            if let integerID {
                result.ids.record(integer: integerID, line: line)
            } else {
                result.ids.record(bytes, id, line: line)
            }
        }
        guard processor.mode == .predict else {
            result.rowsPredicted += 1
            return true
        }
        rows[rowCount] = PendingRow(line: line, recordStart: start, recordEnd: end, unquoted: true)
        let kept = keptSpans + rowCount * spansPerRow
        kept[0] = id
        for (k, run) in echoedRuns.enumerated() {
            kept[1 + k] = FieldSpan(start: fieldStarts[run.lowerBound], end: fieldStarts[run.upperBound + 1] - 1, flags: 0)
        }
        rowCount += 1
        return true
    }

    /// General path: any record, with every check.
    private mutating func addRow(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, record: ScannedRecord, line: Int, into result: inout ChunkResult
    ) {
        let plan = processor.plan
        if fields.count == 1 && fields[0].count == 0 && !fields[0].isQuoted && !record.unterminatedQuote {
            result.blankLines += 1
            return
        }
        result.rowsRead += 1
        if let issue = check(bytes, line: line, unterminated: record.unterminatedQuote) {
            reject(issue, bytes, start, record.next, into: &result)
            return
        }
        // Features: parse into the batch; the first bad one rejects the row.
        let row = features + rowCount * featureCount
        for (feature, column) in featureColumns.enumerated() {
            let field = fields[column]
            let issue: ValidationIssue
            switch DecimalParser.parse(bytes, field.start, field.end) {
            case .number(let number):
                let single = Float(number)
                if single.isFinite {
                    row[feature] = single
                    continue
                }
                issue = fieldIssue(bytes, line: line, column: column, rule: .outOfRange, "is outside the Float32 range (±3.4e38)")
            case .empty:
                issue = fieldIssue(bytes, line: line, column: column, rule: .emptyValue, "is empty; every feature needs a number")
            case .nonFinite:
                issue = fieldIssue(bytes, line: line, column: column, rule: .nonFinite, "is not finite; features must be finite numbers")
            case .notANumber:
                issue = fieldIssue(bytes, line: line, column: column, rule: .notANumber, "is not a number")
            }
            reject(issue, bytes, start, record.next, into: &result)
            return
        }
        if processor.trackDuplicateIDs { result.ids.record(bytes, fields[plan.idColumn], line: line) }
        guard processor.mode == .predict else {
            result.rowsPredicted += 1
            return
        }
        rows[rowCount] = PendingRow(line: line, recordStart: start, recordEnd: record.next, unquoted: false)
        let kept = keptSpans + rowCount * spansPerRow
        kept[0] = fields[plan.idColumn]
        for (k, column) in plan.echoedColumns.enumerated() { kept[1 + k] = fields[column] }
        rowCount += 1
    }

    /// Structural checks of the current record: quoting, field count, id.
    private func check(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, unterminated: Bool) -> ValidationIssue? {
        if unterminated {
            return ValidationIssue(
                file: processor.file, line: line, column: fields.count, columnName: columnName(fields.count - 1),
                rule: .unterminatedQuote, message: "a quoted field opened here is never closed (it runs to the end of the file)"
            )
        }
        if let bad = fields.firstIndex(where: \.isMalformed) {
            return fieldIssue(
                bytes, line: line, column: bad, rule: .malformedQuoting,
                "has a quote that is not RFC 4180 (quote the whole field and double inner quotes)")
        }
        if fields.count != columnCount {
            return ValidationIssue(
                file: processor.file, line: line, column: min(fields.count, columnCount) + 1,
                rule: .raggedRow,
                message: "row has \(fields.count) field\(fields.count == 1 ? "" : "s") but the header has \(columnCount)"
            )
        }
        let id = fields[processor.plan.idColumn]
        if Self.isBlank(bytes, id) {
            return fieldIssue(bytes, line: line, column: processor.plan.idColumn, rule: .emptyID, "is empty; every row needs an id")
        }
        return nil
    }

    private func columnName(_ index: Int) -> String? {
        index >= 0 && index < processor.plan.header.count ? processor.plan.header[index] : nil
    }

    private func fieldIssue(
        _ bytes: UnsafeBufferPointer<UInt8>, line: Int, column: Int, rule: ValidationIssue.Rule, _ problem: String
    ) -> ValidationIssue {
        let text = CSVRecordScanner.text(of: fields[column], in: bytes)
        let name = columnName(column) ?? "#\(column + 1)"
        return ValidationIssue(
            file: processor.file, line: line, column: column + 1, columnName: name, value: text, rule: rule,
            message: "column '\(name)' value \"\(text)\" \(problem)"
        )
    }

    private mutating func reject(
        _ issue: ValidationIssue, _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into result: inout ChunkResult
    ) {
        result.rowsRejected += 1
        if result.issues.count < ChunkProcessor.issueLimit { result.issues.append(issue) }
        if processor.strict {
            stopped = processor.mode == .predict
            return
        }
        guard processor.mode == .predict else { return }
        rejected.append(issue, record: UnsafeBufferPointer(rebasing: bytes[start..<end]))
    }

    /// Runs the model on the pending rows and formats them.
    private mutating func flush(_ bytes: UnsafeBufferPointer<UInt8>, into result: inout ChunkResult) {
        let count = rowCount
        rowCount = 0
        guard let model = processor.model else { return }
        let inferStarted = monotonicSeconds()
        let raw: [Float]
        do {
            raw = try model.predict(UnsafeBufferPointer(start: features, count: count * featureCount), rows: count)
        } catch {
            result.modelError = PredictionError(error)
            stopped = true
            return
        }
        let formatStarted = monotonicSeconds()
        result.timings.inferSeconds += formatStarted - inferStarted
        let schema = processor.schema
        let width = schema.width
        let timestamp = processor.timestamp
        // Room for everything but the echoed bytes: id quotes, scores, label, timestamp, commas.
        var fixedBytes = 64 + timestamp.count + width * 24
        if case .multiclass(let labels) = schema.kind { fixedBytes += 2 * (labels.map(\.utf8.count).max() ?? 0) }
        var probabilities = [Float](repeating: 0, count: width)
        // The usual binary model ends in its own Sigmoid: the raw output is the score as is.
        let rawIsScore = width == 1 && schema.transform == .none
        let plainBinaryRows: Bool
        if case .binary = schema.kind { plainBinaryRows = rawIsScore } else { plainBinaryRows = false }
        let threshold = processor.threshold
        for index in 0..<count {
            let row = rows[index]
            // The usual row first: a plain record, a binary model's own score, finite.
            if plainBinaryRows && row.unquoted, case let score = raw.withUnsafeBufferPointer({ $0[index] }), score.isFinite {
                result.rowsPredicted += 1
                let positive = score >= threshold
                result.statistics.add(Double(score), positive: positive)
                OutputSchema.writePlainBinaryRow(
                    to: &output, record: bytes, kept: keptSpans + index * spansPerRow, echoedRuns: echoedRuns.count,
                    recordLength: row.recordEnd - row.recordStart, score: score, positive: positive, timestamp: processor.timestamp)
                continue
            }
            if rawIsScore {
                probabilities[0] = raw[index]
            } else {
                for k in 0..<width { probabilities[k] = raw[index * width + k] }
                schema.transform.apply(to: &probabilities)
            }
            guard rawIsScore ? raw[index].isFinite : probabilities.allSatisfy(\.isFinite) else {
                let issue = ValidationIssue(
                    file: processor.file, line: row.line, rule: .modelOutputNotFinite,
                    message:
                        "the model produced \(probabilities.map(\.description).joined(separator: ", ")) for this row; check the feature values for extremes"
                )
                reject(issue, bytes, row.recordStart, row.recordEnd, into: &result)
                if stopped { break }
                continue
            }
            result.rowsPredicted += 1
            schema.appendRow(
                to: &output, record: bytes, kept: keptSpans + index * spansPerRow, spansPerRow: spansPerRow,
                echoedRuns: row.unquoted ? echoedRuns.count : nil, reserving: fixedBytes + 2 * (row.recordEnd - row.recordStart),
                score: rawIsScore ? raw[index] : nil, probabilities: probabilities, threshold: threshold, timestamp: timestamp,
                statistics: &result.statistics, classCounts: &result.classCounts)
        }
        result.timings.formatSeconds += monotonicSeconds() - formatStarted
    }

    private static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>, _ field: FieldSpan) -> Bool {
        var p = field.start
        while p < field.end {
            if bytes[p] != 0x20 && bytes[p] != 0x09 { return false }
            p += 1
        }
        return true
    }
}
