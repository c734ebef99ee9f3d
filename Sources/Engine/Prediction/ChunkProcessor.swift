/// What one chunk of records produced. Merged in file order by ``PredictionRun``.
struct ChunkResult: Sendable {
    var index = 0
    /// predictions.csv rows for the chunk.
    var output: [UInt8] = []
    /// rejected.csv rows for the chunk (lenient policy).
    var rejectedOutput: [UInt8] = []
    /// Every rejected row's issue in file order, up to ``ChunkProcessor/issueLimit``.
    var issues: [ValidationIssue] = []
    var rowsRead = 0
    var rowsPredicted = 0
    var rowsRejected = 0
    var blankLines = 0
    var statistics = ScoreStatistics()
    var classCounts: [Int] = []
    /// (hash of the id, line) for each predicted row, when duplicate ids are tracked.
    var idHashes: [(UInt64, Int)] = []
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
            var state = WorkerState(processor: self, featureCount: plan.featureColumns.count)
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
    var firstSpan: Int
}

/// Per-chunk scratch state of a worker.
private struct WorkerState {
    let processor: ChunkProcessor
    var fields: [FieldSpan] = []
    var batch: FeatureBatch
    var rows: [PendingRow] = []
    /// Spans kept per pending row: id, then echoed columns.
    var keptSpans: [FieldSpan] = []
    let spansPerRow: Int
    var output = CSVOutputBuffer()
    var rejected = CSVOutputBuffer()
    var stopped = false

    init(processor: ChunkProcessor, featureCount: Int) {
        self.processor = processor
        batch = FeatureBatch(featureCount: featureCount, capacity: processor.mode == .predict ? processor.batchSize : 1)
        spansPerRow = 1 + processor.plan.echoedColumns.count
        rows.reserveCapacity(processor.batchSize)
        keptSpans.reserveCapacity(processor.batchSize * spansPerRow)
    }

    mutating func run(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, firstLine: Int, into result: inout ChunkResult) {
        let plan = processor.plan
        let columnCount = plan.header.count
        var position = start
        var line = firstLine
        var parseStarted = monotonicSeconds()
        output = CSVOutputBuffer(capacity: processor.mode == .predict ? bytes.count + bytes.count / 2 : 0)
        while position < bytes.count && !stopped {
            let recordStart = position
            let recordLine = line
            let record = CSVRecordScanner.scan(bytes, from: position, into: &fields)
            position = record.next
            line += record.newlines
            if fields.count == 1 && fields[0].count == 0 && !fields[0].isQuoted && !record.unterminatedQuote {
                result.blankLines += 1
                continue
            }
            result.rowsRead += 1
            if let issue = check(bytes, line: recordLine, columnCount: columnCount, unterminated: record.unterminatedQuote) {
                reject(issue, bytes, recordStart, record.next, into: &result)
                continue
            }
            // Features: parse into the batch; the first bad one rejects the row.
            let row = batch.rowCount
            var rowIssue: ValidationIssue?
            for (feature, column) in plan.featureColumns.enumerated() {
                let field = fields[column]
                var value: Float = 0
                switch DecimalParser.parse(bytes, field.start, field.end) {
                case .number(let number):
                    let single = Float(number)
                    guard single.isFinite else {
                        rowIssue = fieldIssue(bytes, line: recordLine, column: column, rule: .outOfRange, "is outside the Float32 range (±3.4e38)")
                        break
                    }
                    value = single
                case .empty:
                    rowIssue = fieldIssue(bytes, line: recordLine, column: column, rule: .emptyValue, "is empty; every feature needs a number")
                case .nonFinite:
                    rowIssue = fieldIssue(bytes, line: recordLine, column: column, rule: .nonFinite, "is not finite; features must be finite numbers")
                case .notANumber:
                    rowIssue = fieldIssue(bytes, line: recordLine, column: column, rule: .notANumber, "is not a number")
                }
                if rowIssue != nil { break }
                if processor.mode == .predict { batch[row: row, feature: feature] = value }
            }
            if let rowIssue {
                reject(rowIssue, bytes, recordStart, record.next, into: &result)
                continue
            }
            if processor.trackDuplicateIDs {
                result.idHashes.append((Self.hash(bytes, fields[plan.idColumn]), recordLine))
            }
            guard processor.mode == .predict else {
                result.rowsPredicted += 1
                continue
            }
            rows.append(PendingRow(line: recordLine, recordStart: recordStart, recordEnd: record.next, firstSpan: keptSpans.count))
            keptSpans.append(fields[plan.idColumn])
            for column in plan.echoedColumns { keptSpans.append(fields[column]) }
            batch.rowCount += 1
            if batch.rowCount == batch.capacity {
                result.timings.parseSeconds += monotonicSeconds() - parseStarted
                flush(bytes, into: &result)
                parseStarted = monotonicSeconds()
            }
        }
        result.timings.parseSeconds += monotonicSeconds() - parseStarted
        if !stopped && batch.rowCount > 0 { flush(bytes, into: &result) }
        result.output = output.bytes
        result.rejectedOutput = rejected.bytes
    }

    /// Structural checks of the current record: quoting, field count, id.
    private func check(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, columnCount: Int, unterminated: Bool) -> ValidationIssue? {
        if unterminated {
            return ValidationIssue(
                file: processor.file, line: line, column: fields.count, columnName: columnName(fields.count - 1),
                rule: .unterminatedQuote, message: "a quoted field opened here is never closed (it runs to the end of the file)"
            )
        }
        if let bad = fields.firstIndex(where: \.isMalformed) {
            return fieldIssue(bytes, line: line, column: bad, rule: .malformedQuoting,
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
        var recordEnd = end
        while recordEnd > start && (bytes[recordEnd - 1] == UInt8(ascii: "\n") || bytes[recordEnd - 1] == UInt8(ascii: "\r")) {
            recordEnd -= 1
        }
        rejected.append(integer: issue.line)
        rejected.append(UInt8(ascii: ","))
        if let column = issue.column { rejected.append(integer: column) }
        rejected.append(UInt8(ascii: ","))
        rejected.appendField(issue.columnName ?? "")
        rejected.append(UInt8(ascii: ","))
        rejected.append(issue.rule.name)
        rejected.append(UInt8(ascii: ","))
        rejected.appendField(issue.message)
        rejected.append(UInt8(ascii: ","))
        rejected.appendField(unescaped: UnsafeBufferPointer(rebasing: bytes[start..<recordEnd]))
        rejected.append(UInt8(ascii: "\n"))
    }

    /// Runs the model on the pending rows and formats them.
    private mutating func flush(_ bytes: UnsafeBufferPointer<UInt8>, into result: inout ChunkResult) {
        defer {
            batch.reset()
            rows.removeAll(keepingCapacity: true)
            keptSpans.removeAll(keepingCapacity: true)
        }
        guard let model = processor.model else { return }
        let inferStarted = monotonicSeconds()
        let input = batch.rowMajor()
        let raw: [Float]
        do {
            raw = try input.withUnsafeBufferPointer { buffer throws(ModelError) in try model.predict(buffer, rows: batch.rowCount) }
        } catch {
            result.modelError = PredictionError(error)
            stopped = true
            return
        }
        let formatStarted = monotonicSeconds()
        result.timings.inferSeconds += formatStarted - inferStarted
        let schema = processor.schema
        let width = schema.width
        var probabilities = [Float](repeating: 0, count: width)
        for (rowIndex, row) in rows.enumerated() {
            for k in 0..<width { probabilities[k] = raw[rowIndex * width + k] }
            schema.transform.apply(to: &probabilities)
            guard probabilities.allSatisfy(\.isFinite) else {
                let issue = ValidationIssue(
                    file: processor.file, line: row.line, rule: .modelOutputNotFinite,
                    message: "the model produced \(probabilities.map(\.description).joined(separator: ", ")) for this row; check the feature values for extremes"
                )
                reject(issue, bytes, row.recordStart, row.recordEnd, into: &result)
                if stopped { break }
                continue
            }
            result.rowsPredicted += 1
            output.appendField(copying: keptSpans[row.firstSpan], from: bytes)
            output.append(UInt8(ascii: ","))
            switch schema.kind {
            case .binary, .twoClass:
                let score = schema.kind == .binary ? probabilities[0] : probabilities[1]
                let positive = score >= processor.threshold
                result.statistics.add(Double(score), positive: positive)
                output.append(sixDecimals: score)
                output.append(UInt8(ascii: ","))
                output.append(positive ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                output.append(UInt8(ascii: ","))
                output.append(contentsOf: processor.timestamp)
            case .multiclass(let labels):
                var best = 0
                for k in 1..<width where probabilities[k] > probabilities[best] { best = k }
                result.classCounts[best] += 1
                result.statistics.add(Double(probabilities[best]), positive: false)
                output.append(sixDecimals: probabilities[best])
                output.append(UInt8(ascii: ","))
                output.appendField(labels[best])
                output.append(UInt8(ascii: ","))
                output.append(contentsOf: processor.timestamp)
                for k in 0..<width {
                    output.append(UInt8(ascii: ","))
                    output.append(sixDecimals: probabilities[k])
                }
            case .regression:
                let value = probabilities[0]
                result.statistics.add(Double(value), positive: false)
                output.append(shortest: value)
                output.append(UInt8(ascii: ","))
                output.append(contentsOf: processor.timestamp)
            }
            for echo in 1..<spansPerRow {
                output.append(UInt8(ascii: ","))
                output.appendField(copying: keptSpans[row.firstSpan + echo], from: bytes)
            }
            output.append(UInt8(ascii: "\n"))
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

    /// FNV-1a over the id's bytes.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ field: FieldSpan) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var p = field.start
        while p < field.end {
            hash = (hash ^ UInt64(bytes[p])) &* 0x100_0000_01b3
            p += 1
        }
        return hash
    }
}

