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
    /// Per-feature statistics and drift counts of the predicted rows (predict mode only).
    var features: FeatureAccumulator?
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
    /// What to learn of the features as they go by.
    let statisticsPlan: FeatureStatisticsPlan

    /// Parses, validates, predicts and formats the rows of one chunk.
    func process(_ chunk: InputChunk) -> ChunkResult {
        var result = ChunkResult()
        result.index = chunk.index
        if case .multiclass(let labels) = schema.kind { result.classCounts = [Int](repeating: 0, count: labels.count) }
        if mode == .predict { result.features = FeatureAccumulator(plan: statisticsPlan) }
        switch chunk {
        case .text(let text, let start, let line):
            text.bytes.withUnsafeBufferPointer { buffer in
                var state = WorkerState(processor: self)
                state.run(buffer, start: start, firstLine: line, into: &result)
            }
        case .columns(let slice):
            var state = WorkerState(processor: self)
            state.run(slice, into: &result)
        }
        return result
    }
}

/// One row waiting in a batch for the model.
struct PendingRow {
    var line: Int
    var recordStart: Int
    var recordEnd: Int
    /// Taken by the fast path: its kept spans are the id and then one span per echoed run
    /// (verbatim bytes, commas included); otherwise the id and one span per echoed column.
    var unquoted: Bool
    /// For a Parquet row, its row in the row group.
    var sliceRow = 0
}

/// Per-chunk scratch state of a worker: it batches records for the model and collects the
/// chunk's output; parsing, checking and formatting are each done by their own type.
///
/// Records take one of two paths. The fast path handles the common record — no quotes, the
/// header's field count, a non-blank id and finite numbers — with ``PlainRecordParser``'s one
/// byte loop, numbers parsed in place into a row-major feature batch. Anything else goes through
/// ``CSVRecordScanner`` and ``RecordValidator``, whose issues name the rule, line and column.
/// Rows are formatted by ``OutputSchema``, rejected rows by ``RejectedRowWriter``.
///
/// Parquet rows come decoded (see ColumnSliceRows.swift): their features go straight into the
/// batch, and their id and echoed columns are written once as CSV text that stands in for the
/// record.
struct WorkerState: ~Copyable {
    let processor: ChunkProcessor
    let columnCount: Int
    let featureCount: Int
    let capacity: Int
    let echoedRuns: [ClosedRange<Int>]
    /// Echoed spans kept per plain row: one per run of a CSV record, one for a Parquet row's text.
    var runCount: Int
    /// Spans kept per pending row: the id, then echoed columns (or runs, on the fast path).
    let spansPerRow: Int
    let parser: PlainRecordParser
    let validator: RecordValidator
    /// Whether records may take the fast path: every feature is a float.
    let fastPathAllowed: Bool
    /// The batch's features, row-major, as the model takes them.
    let features: UnsafeMutablePointer<Float>
    /// The int64 and string features, at the same places as in `features`, for a model that
    /// takes them (else one unused entry each).
    let integers: UnsafeMutablePointer<Int64>
    let strings: UnsafeMutablePointer<String>
    let typedCapacity: Int
    let rows: UnsafeMutablePointer<PendingRow>
    /// The batch's scores, for drift and profiles (``FeatureAccumulator/addScores(_:count:plan:)``).
    let scores: UnsafeMutablePointer<Float>
    let keptSpans: UnsafeMutablePointer<FieldSpan>
    var rowCount = 0
    /// General path: the current record's fields.
    var fields: [FieldSpan] = []
    var output = CSVOutputBuffer()
    var rejected = RejectedRowWriter()
    var stopped = false
    /// The Parquet rows being processed, when the chunk is a slice (rejected rows are re-written
    /// from it as CSV).
    var slice: ColumnSlice?

    init(processor: ChunkProcessor) {
        self.processor = processor
        let plan = processor.plan
        columnCount = plan.header.count
        featureCount = plan.featureColumns.count
        echoedRuns = plan.echoedRuns
        runCount = echoedRuns.count
        capacity = processor.mode == .predict ? max(processor.batchSize, 1) : 1
        spansPerRow = 1 + plan.echoedColumns.count
        parser = PlainRecordParser(plan: plan)
        validator = RecordValidator(file: processor.file, plan: plan, model: processor.model)
        fastPathAllowed = validator.readsOnlyFloats
        features = .allocate(capacity: capacity * max(featureCount, 1))
        typedCapacity = fastPathAllowed ? 1 : capacity * max(featureCount, 1)
        integers = .allocate(capacity: typedCapacity)
        integers.initialize(repeating: 0, count: typedCapacity)
        strings = .allocate(capacity: typedCapacity)
        strings.initialize(repeating: "", count: typedCapacity)
        rows = .allocate(capacity: capacity)
        scores = .allocate(capacity: capacity)
        keptSpans = .allocate(capacity: capacity * spansPerRow)
    }

    deinit {
        features.deallocate()
        integers.deallocate()
        strings.deinitialize(count: typedCapacity)
        strings.deallocate()
        rows.deallocate()
        scores.deallocate()
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
            if fastPathAllowed, let record = parser.parse(bytes, from: position, into: features + rowCount * featureCount),
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

    /// Fast path, step 2: files a parsed record's row. Returns false, changing nothing, if its id
    /// is blank (the general path then says so).
    @inline(__always)
    mutating func addFastRow(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, integerID: UInt64?, line: Int, into result: inout ChunkResult
    ) -> Bool {
        let id = parser.field(processor.plan.idColumn)
        if integerID == nil && RecordValidator.isBlank(bytes, id) { return false }
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
        for (k, run) in echoedRuns.enumerated() { kept[1 + k] = parser.run(run) }
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
        // Structure first, then each feature parsed into the batch; the first problem rejects the row.
        if let issue = validator.structuralIssue(fields, in: bytes, line: line, unterminated: record.unterminatedQuote)
            ?? validator.parseFeatures(
                fields, in: bytes, line: line, into: features + rowCount * featureCount,
                integers: fastPathAllowed ? nil : integers + rowCount * featureCount,
                strings: fastPathAllowed ? nil : strings + rowCount * featureCount)
        {
            reject(issue, record: UnsafeBufferPointer(rebasing: bytes[start..<record.next]), into: &result)
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

    /// Counts a rejected row and, under the lenient policy, writes it with its `record` (the
    /// input's bytes, or a Parquet row as CSV) to rejected.csv.
    mutating func reject(_ issue: ValidationIssue, record: UnsafeBufferPointer<UInt8>, into result: inout ChunkResult) {
        result.rowsRejected += 1
        if result.issues.count < ChunkProcessor.issueLimit { result.issues.append(issue) }
        if processor.strict {
            stopped = processor.mode == .predict
            return
        }
        guard processor.mode == .predict else { return }
        rejected.append(issue, record: record)
    }

    /// Runs the model on the pending rows and formats them.
    mutating func flush(_ bytes: UnsafeBufferPointer<UInt8>, into result: inout ChunkResult) {
        let count = rowCount
        rowCount = 0
        guard let model = processor.model else { return }
        let statisticsPlan = processor.statisticsPlan
        let statisticsStarted = monotonicSeconds()
        result.features?.add(
            plan: statisticsPlan, floats: features, integers: integers, strings: strings, rows: count, stride: featureCount)
        let inferStarted = monotonicSeconds()
        result.timings.statisticsSeconds += inferStarted - statisticsStarted
        let tracksScores = FeatureAccumulator.tracksScores(statisticsPlan)
        let raw: [Float]
        do {
            let values = count * featureCount
            raw = try model.predict(
                floats: UnsafeBufferPointer(start: features, count: values),
                ints: UnsafeBufferPointer(start: integers, count: fastPathAllowed ? 0 : values),
                strings: UnsafeBufferPointer(start: strings, count: fastPathAllowed ? 0 : values), rows: count)
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
        var scored = 0
        defer { if tracksScores { result.features?.addScores(scores, count: scored, plan: statisticsPlan) } }
        for index in 0..<count {
            let row = rows[index]
            // The usual row first: a plain record, a binary model's own score, finite.
            if plainBinaryRows && row.unquoted, case let score = raw.withUnsafeBufferPointer({ $0[index] }), score.isFinite {
                result.rowsPredicted += 1
                let positive = score >= threshold
                result.statistics.add(Double(score), positive: positive)
                if tracksScores {
                    scores[scored] = score
                    scored += 1
                }
                OutputSchema.writePlainBinaryRow(
                    to: &output, record: bytes, kept: keptSpans + index * spansPerRow, echoedRuns: runCount,
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
                let issue = validator.modelOutputIssue(line: row.line, rowGroup: slice?.rowGroup, outputs: probabilities)
                if let slice {
                    rejectParquetRow(issue, row: row.sliceRow, of: slice, into: &result)
                } else {
                    reject(issue, record: UnsafeBufferPointer(rebasing: bytes[row.recordStart..<row.recordEnd]), into: &result)
                }
                if stopped { break }
                continue
            }
            result.rowsPredicted += 1
            let score = schema.appendRow(
                to: &output, record: bytes, kept: keptSpans + index * spansPerRow, spansPerRow: spansPerRow,
                echoedRuns: row.unquoted ? runCount : nil, reserving: fixedBytes + 2 * (row.recordEnd - row.recordStart),
                score: rawIsScore ? raw[index] : nil, probabilities: probabilities, threshold: threshold, timestamp: timestamp,
                statistics: &result.statistics, classCounts: &result.classCounts)
            if tracksScores {
                scores[scored] = score
                scored += 1
            }
        }
        result.timings.formatSeconds += monotonicSeconds() - formatStarted
    }
}
