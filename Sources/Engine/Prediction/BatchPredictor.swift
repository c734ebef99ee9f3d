import Checksum
import Files
import Parquet
import Synchronization

/// The engine's public face: one model with its options, used to predict CSV files, in-memory
/// rows or column batches, mirroring the Python original's `predict_csv`, `predict_dataframe`,
/// `predict_batch` and `get_stats`.
///
/// Thread-safe: several files may be predicted at once with one predictor.
public final class BatchPredictor: Sendable {
    /// The loaded model.
    public let model: ONNXModel
    /// The options every run uses.
    public let options: PredictionOptions
    /// How the model's output is read.
    public let schema: OutputSchema
    /// SHA-256 of the model file.
    public let modelSHA256: String
    private let lastReportStorage = Mutex<PredictionReport?>(nil)

    /// Loads the model at `modelPath`.
    /// - Throws: ``PredictionError`` with code `.model` when the model can't be loaded or its output
    ///   can't be read as the options say.
    public convenience init(modelPath: String, options: PredictionOptions = PredictionOptions()) throws(PredictionError) {
        let model: ONNXModel
        do { model = try ONNXModel.load(path: modelPath) } catch { throw PredictionError(error) }
        try self.init(model: model, options: options)
    }

    /// Uses an already loaded model.
    public init(model: ONNXModel, options: PredictionOptions = PredictionOptions()) throws(PredictionError) {
        guard options.threshold >= 0 && options.threshold <= 1 else {
            throw PredictionError(.usage, "threshold \(options.threshold) is outside [0, 1]")
        }
        if case .lenient(let fraction) = options.policy, !(fraction >= 0 && fraction <= 1) {
            throw PredictionError(.usage, "max rejected fraction \(fraction) is outside [0, 1]")
        }
        self.model = model
        self.options = options
        self.schema = try OutputSchema.resolve(for: model, option: options.outputKind)
        do { modelSHA256 = try FileDigest(of: model.path).sha256 } catch { throw PredictionError(error) }
    }

    /// The report of the most recent successful ``predictCSV(input:output:rejected:progress:)`` run.
    public var lastReport: PredictionReport? { lastReportStorage.withLock { $0 } }

    /// The model's feature names from its `feature_columns` metadata, if it has them.
    public var modelFeatureNames: [String]? {
        model.metadata["feature_columns"].flatMap(parseNameList)
    }

    /// Predicts every row of `input` into `output` (written atomically: it appears only complete).
    ///
    /// Under the lenient policy, rejected rows go to `rejected` (created only if there are any).
    /// - Returns: the run's report; also kept as ``lastReport``.
    /// - Parameters:
    ///   - progress: called after each round of chunks.
    ///   - shouldStop: asked between rounds; true abandons the run (`.cancelled`, nothing published).
    /// - Throws: ``PredictionError``: `.validation` with the first issue (strict) or when too many
    ///   rows were rejected (lenient); `.io` for read/write failures; `.model` if the model fails.
    @discardableResult
    public func predictCSV(
        input: String,
        output: String,
        rejected: String? = nil,
        progress: (@Sendable (PredictionProgress) -> Void)? = nil,
        shouldStop: (@Sendable () -> Bool)? = nil
    ) throws(PredictionError) -> PredictionReport {
        let started = monotonicSeconds()
        if output == "-", rejected == nil, case .lenient = options.policy {
            throw PredictionError(
                .usage, "with the output on standard output (-), lenient needs --rejected PATH, so rejected rows are never lost")
        }
        try Self.refuseOverwritingInputs(
            input: input, output: output, rejected: rejected ?? Self.defaultRejectedPath(for: output), model: model.path)
        let timestamp = options.fixedTimestamp ?? localTimestamp()
        let opened = try openInput(input, hashing: options.hashInput)
        let header = opened.columnNames
        let dataLine = opened.dataLine
        let processor = try makeProcessor(input: input, header: header, timestamp: timestamp, mode: .predict)
        let (source, first) = try chunkSource(opened, plan: processor.plan, hashing: options.hashInput)
        // `-` streams to standard output: rows appear as they are made, and a failure part way
        // says how many went out (atomic publication cannot apply to a pipe).
        let out: any ByteSink
        do { out = output == "-" ? try StreamWriter() : try AtomicFileWriter(path: output) } catch { throw PredictionError(error) }
        var rowsWritten = 0
        var totals: PredictionRun.Totals
        do throws(PredictionError) {
            totals = try run(
                input: input, output: output, rejected: rejected, into: out, source: source, first: first, header: header,
                dataLine: dataLine, processor: processor, progress: progress, shouldStop: shouldStop, rowsWritten: &rowsWritten)
        } catch {
            guard output == "-" else { throw error }
            throw error.noting("; \(groupedThousands(rowsWritten)) rows had been written to standard output")
        }
        totals.timings.totalSeconds = monotonicSeconds() - started
        var report = PredictionReport(
            inputPath: input, inputSHA256: totals.inputSHA256, inputBytes: totals.inputBytes,
            modelPath: model.path, modelSHA256: modelSHA256, outputKind: schema.kind, threshold: options.threshold,
            policy: options.policy, startedAt: timestamp)
        report.rowsRead = totals.rowsRead
        report.rowsPredicted = totals.rowsPredicted
        report.rowsRejected = totals.rowsRejected
        report.blankLinesSkipped = totals.blankLines
        report.statistics = totals.statistics
        report.classCounts = totals.classCounts
        report.rejectedSample = totals.issues
        report.rejectedRowsPath = totals.rejectedRowsPath
        report.duplicateIDs = totals.duplicateIDs
        report.warningSample = totals.duplicateSample
        report.timings = totals.timings
        report.threads = options.effectiveThreads
        report.batchSize = options.effectiveBatchSize
        report.modelMetadata = model.metadata
        if let features = totals.features {
            report.features = features.summaries(plan: processor.statisticsPlan)
            if let drift = options.drift, let scoreDrift = features.scoreDrift {
                report.drift = DriftReport(settings: drift, features: features.drift, score: scoreDrift)
            }
        }
        let finished = report
        lastReportStorage.withLock { $0 = finished }
        return report
    }

    /// Profiles `input` (the data the model was trained on) for drift detection: every feature's
    /// and the score's decile edges and counts, missing rates, and string columns' categories.
    ///
    /// Runs the model over every row, as ``predictCSV(input:output:rejected:progress:shouldStop:)``
    /// does, but writes no predictions. Unlike a prediction run it keeps every numeric value (8
    /// bytes each) to take exact quantiles: about 80 MB per million rows of 10 features.
    /// - Parameter rejected: under the lenient policy, where rejected rows go (as for a prediction run).
    /// - Throws: ``PredictionError`` as ``predictCSV(input:output:rejected:progress:shouldStop:)``.
    public func profile(
        input: String, rejected: String? = nil, progress: (@Sendable (PredictionProgress) -> Void)? = nil
    ) throws(PredictionError) -> ReferenceProfile {
        if rejected == nil, case .lenient = options.policy {
            throw PredictionError(.usage, "a lenient profile needs --rejected PATH, so rejected rows are never lost")
        }
        let opened = try openInput(input, hashing: true)
        let header = opened.columnNames
        let dataLine = opened.dataLine
        let processor = try makeProcessor(input: input, header: header, timestamp: localTimestamp(), mode: .predict, keepValues: true)
        let (source, first) = try chunkSource(opened, plan: processor.plan, hashing: true)
        var rowsWritten = 0
        let totals = try run(
            input: input, output: input + ".profile", rejected: rejected, into: DiscardingSink(), source: source, first: first,
            header: header, dataLine: dataLine, processor: processor, progress: progress, shouldStop: nil,
            rowsWritten: &rowsWritten)
        guard let features = totals.features else { throw PredictionError(.io, "\(input): no feature statistics were gathered") }
        let plan = processor.statisticsPlan
        let distributions = plan.names.indices.map { k in
            plan.types[k] == .string
                ? ReferenceProfile.Distribution.categories(name: plan.names[k], summary: features.categories[k])
                : ReferenceProfile.Distribution.numeric(name: plan.names[k], values: features.keptValues[k])
        }
        return ReferenceProfile(
            source: ReferenceProfile.Source(path: input, sha256: totals.inputSHA256, rows: totals.rowsPredicted),
            model: ReferenceProfile.Model(path: model.path, sha256: modelSHA256), features: distributions,
            score: .numeric(name: "score", values: features.keptScores))
    }

    /// Checks every row of `input` without running the model.
    /// - Parameter issueLimit: how many issues to keep (all are counted).
    /// - Throws: ``PredictionError`` for problems that stop the check itself: an unreadable,
    ///   empty or header-only file, or a header that doesn't fit the model.
    public func validateCSV(input: String, issueLimit: Int = 100) throws(PredictionError) -> ValidationSummary {
        let opened = try openInput(input, hashing: false)  // the summary has no hash
        let dataLine = opened.dataLine
        let processor = try makeProcessor(input: input, header: opened.columnNames, timestamp: "", mode: .validate)
        let (source, first) = try chunkSource(opened, plan: processor.plan, hashing: false)
        let run = PredictionRun(input: input, processor: processor, threads: options.effectiveThreads, progress: nil, shouldStop: nil)
        let totals = try run.run(source: source, first: first) { _, _ in true }
        if totals.rowsRead == 0 { throw Self.noDataRows(input, line: dataLine) }
        return ValidationSummary(
            file: input, rowsRead: totals.rowsRead, rowsValid: totals.rowsPredicted, blankLinesSkipped: totals.blankLines,
            issues: Array(totals.issues.prefix(issueLimit)), invalidRows: totals.rowsRejected, duplicateIDs: totals.duplicateIDs)
    }

    /// Predicts in-memory rows keyed by feature name (the Python original's `predict_dataframe`).
    /// - Throws: `.validation` naming the row (1-based) and feature when one is missing or not finite.
    public func predict(rows: [[String: Double]]) throws(PredictionError) -> [Prediction] {
        let names = try featureNamesForInMemoryRows()
        var batch = FeatureBatch(featureCount: names.count, capacity: rows.count)
        for (index, row) in rows.enumerated() {
            for (feature, name) in names.enumerated() {
                guard let value = row[name] else {
                    throw PredictionError(
                        ValidationIssue(
                            file: "<rows>", line: index + 1, columnName: name, rule: .missingColumn,
                            message: "row \(index + 1) has no value for feature '\(name)'"))
                }
                let single = Float(value)
                guard single.isFinite else {
                    throw PredictionError(
                        ValidationIssue(
                            file: "<rows>", line: index + 1, columnName: name, value: "\(value)", rule: .nonFinite,
                            message: "row \(index + 1) feature '\(name)' is \(value); features must be finite Float32 numbers"))
                }
                batch[row: index, feature: feature] = single
            }
        }
        batch.rowCount = rows.count
        return try predict(batch: batch)
    }

    /// Predicts a column-major batch (the Python original's `predict_batch`).
    public func predict(batch: FeatureBatch) throws(PredictionError) -> [Prediction] {
        guard batch.featureCount == model.featureCount else {
            throw PredictionError(.usage, "the batch has \(batch.featureCount) features; the model takes \(model.featureCount)")
        }
        guard batch.rowCount > 0 else { return [] }
        let input = batch.rowMajor()
        let raw: [Float]
        do {
            raw = try input.withUnsafeBufferPointer { buffer throws(ModelError) in try model.predict(buffer, rows: batch.rowCount) }
        } catch {
            throw PredictionError(error)
        }
        let threshold = Float(options.threshold)
        return (0..<batch.rowCount).map { row in
            var values = Array(raw[(row * schema.width)..<((row + 1) * schema.width)])
            schema.transform.apply(to: &values)
            return Prediction(values: values, schema: schema, threshold: threshold)
        }
    }

    /// The CSV columns a model with several inputs reads, input after input; nil for a model with
    /// one input. An input of one column binds to the column of its name; the model's
    /// `feature_columns` metadata, when it lists every input's columns, overrides that (and is how
    /// an input of several columns names them).
    public func boundColumnNames() throws(PredictionError) -> [String]? {
        guard model.inputs.count > 1 else { return nil }
        if let names = modelFeatureNames, names.count == model.featureCount { return names }
        if let wide = model.inputs.first(where: { $0.width > 1 }) {
            throw PredictionError(
                .model,
                "\(model.path): input '\(wide.name)' takes \(wide.width) columns, so it cannot be bound by its name; list the CSV columns of every input, input after input (\(model.featureCount) names), in the model's feature_columns metadata"
            )
        }
        return model.inputs.map(\.name)
    }

    private func featureNamesForInMemoryRows() throws(PredictionError) -> [String] {
        if let names = try boundColumnNames() ?? modelFeatureNames ?? options.features {
            guard names.count == model.featureCount else {
                throw PredictionError(.model, "\(model.path) takes \(model.featureCount) features but \(names.count) names are given")
            }
            return names
        }
        throw PredictionError(
            .usage, "\(model.path) has no feature_columns metadata: set PredictionOptions.features to name its \(model.featureCount) inputs"
        )
    }

    /// An input opened for a run: CSV text (its first chunk read, for the header) or Parquet
    /// (its footer read).
    private enum OpenedInput {
        case text(CSVChunkReader, first: CSVChunk, header: (names: [String], dataStart: Int, dataLine: Int))
        case parquet(ParquetFile)

        /// The input's column names, in file order.
        var columnNames: [String] {
            switch self {
            case .text(_, _, let header): header.names
            case .parquet(let file): file.columns.map(\.name)
            }
        }

        /// Where a "no data rows" error points: the line after the header, or row 1.
        var dataLine: Int {
            switch self {
            case .text(_, _, let header): header.dataLine
            case .parquet: 1
            }
        }
    }

    private func openInput(_ input: String, hashing: Bool) throws(PredictionError) -> OpenedInput {
        let encoding: InputEncoding
        do { encoding = try InputEncoding.of(path: input) } catch { throw PredictionError(error) }
        if encoding == .parquet {
            let file: ParquetFile
            do { file = try ParquetFile(path: input) } catch { throw PredictionError(ParquetChunkReader.fileError(error)) }
            guard file.columns.count <= options.maxColumns else {
                throw PredictionError(Self.tooManyColumns(input, count: file.columns.count, limit: options.maxColumns))
            }
            return .parquet(file)
        }
        let reader: CSVChunkReader
        let first: CSVChunk?
        do {
            reader = try CSVChunkReader(
                path: input, chunkSize: options.chunkBytes, hashing: hashing, maxRecordBytes: options.maxRecordBytes)
        } catch {
            throw PredictionError(error)
        }
        first = try reader.next()
        guard let first else {
            throw PredictionError(
                ValidationIssue(file: input, line: 1, rule: .emptyFile, message: "the file is empty; expected a header line"))
        }
        let header: (names: [String], dataStart: Int, dataLine: Int)
        do {
            header = try PredictionRun.header(of: first, file: input, maxColumns: options.maxColumns)
        } catch {
            throw PredictionError(error)
        }
        return .text(reader, first: first, header: header)
    }

    /// The issue for an input with more columns than `limit`.
    static func tooManyColumns(_ input: String, count: Int, limit: Int) -> ValidationIssue {
        ValidationIssue(
            file: input, line: 1, rule: .tooManyColumns,
            message:
                "the input has \(count) columns, more than the limit of \(limit); is this the right file? "
                + "Raise limits.max_columns (--max-columns) if inputs this wide are expected")
    }

    /// Where a run over `opened` gets its chunks: the CSV reader (with the chunk that held the
    /// header), or a Parquet reader that decodes only the columns `plan` uses.
    private func chunkSource(
        _ opened: sending OpenedInput, plan: ColumnPlan, hashing: Bool
    ) throws(PredictionError) -> (source: any ChunkSource, first: InputChunk?) {
        switch opened {
        case .text(let reader, let first, let header):
            return (reader, .text(first, start: header.dataStart, line: header.dataLine))
        case .parquet(let file):
            let featureTypes = RecordValidator(file: file.path, plan: plan, model: model).featureTypes
            for (feature, column) in plan.featureColumns.enumerated() where featureTypes[feature] != .string {
                let type = file.columns[column]
                guard type.isNumeric || (type.physicalType == .byteArray && [.string, .none].contains(type.logicalType)) else {
                    throw PredictionError(
                        ValidationIssue(
                            file: file.path, line: 1, column: column + 1, columnName: type.name, rule: .featureMismatch,
                            message:
                                "feature column '\(type.name)' holds \(type.physicalType) \(type.logicalType) values; a feature must be a number (or text holding one)"
                        ))
                }
            }
            let needed = Set([plan.idColumn] + plan.featureColumns + plan.echoedColumns).sorted()
            // Float features that only feed the model are decoded straight to Float; string and
            // int64 features are kept as the file holds them.
            let floatFeatures = zip(plan.featureColumns, featureTypes).filter { $0.1 == .float }.map(\.0)
            let modelOnly = Set(floatFeatures).subtracting(plan.echoedColumns + [plan.idColumn])
            let reader = ParquetChunkReader(
                file: file, needed: needed, modelOnly: modelOnly, threads: options.effectiveThreads, hashing: hashing)
            return (reader, nil)
        }
    }

    private func makeProcessor(
        input: String, header: [String], timestamp: String, mode: ChunkProcessor.Mode, keepValues: Bool = false
    ) throws(PredictionError) -> ChunkProcessor {
        let plan: ColumnPlan
        let boundColumns = try boundColumnNames()
        do {
            plan = try ColumnPlan(
                header: header, file: input, idColumnName: options.idColumn, modelFeatures: modelFeatureNames,
                requested: options.features, featureCount: model.featureCount, includeFeatures: options.includeFeatures,
                boundColumns: boundColumns)
        } catch {
            throw PredictionError(error)
        }
        let strict: Bool
        if case .strict = options.policy { strict = true } else { strict = false }
        let names = plan.featureColumns.map { ColumnPlan.shown(header[$0]) }
        let types = RecordValidator.featureTypes(model: model, count: names.count)
        let binning = try options.drift.map { drift throws(PredictionError) in
            try DriftBinning(reference: drift.reference, path: drift.referencePath, featureNames: names, types: types)
        }
        return ChunkProcessor(
            file: input, plan: plan, schema: schema, model: model, threshold: Float(options.threshold), strict: strict,
            batchSize: options.effectiveBatchSize, timestamp: Array(timestamp.utf8),
            trackDuplicateIDs: options.detectDuplicateIDs, mode: mode,
            statisticsPlan: FeatureStatisticsPlan(names: names, types: types, binning: binning, keepValues: keepValues))
    }

    private static func noDataRows(_ input: String, line: Int) -> PredictionError {
        PredictionError(ValidationIssue(file: input, line: line, rule: .noDataRows, message: "the file has a header but no data rows"))
    }

    /// The body of ``predictCSV``: writes the header and every chunk's rows to `out`, the
    /// rejected rows to their file, checks the policy and the counts, and publishes.
    private func run(
        input: String, output: String, rejected: String?, into out: any ByteSink, source: sending any ChunkSource, first: InputChunk?,
        header: [String], dataLine: Int, processor: ChunkProcessor,
        progress: (@Sendable (PredictionProgress) -> Void)?, shouldStop: (@Sendable () -> Bool)?, rowsWritten: inout Int
    ) throws(PredictionError) -> PredictionRun.Totals {
        let headerLine = schema.headerLine(
            idColumn: options.idColumn, echoedColumns: processor.plan.echoedColumns.map { header[$0] })
        var rejectedFile: AtomicFileWriter?
        let strict = processor.strict
        let predictionRun = PredictionRun(
            input: input, processor: processor, threads: options.effectiveThreads,
            progress: progress, shouldStop: shouldStop)
        do { try out.write(headerLine) } catch { throw PredictionError(error) }
        var totals = try predictionRun.run(source: source, first: first) {
            result, totals throws(PredictionError) in
            if strict, let issue = result.issues.first { throw PredictionError(issue) }
            let writeStarted = monotonicSeconds()
            do throws(FileError) {
                try out.write(result.output)
                rowsWritten += result.rowsPredicted
                if !result.rejectedOutput.isEmpty {
                    if rejectedFile == nil {
                        let file = try AtomicFileWriter(path: rejected ?? Self.defaultRejectedPath(for: output))
                        try file.write(RejectedRowWriter.header)
                        rejectedFile = file
                    }
                    try rejectedFile?.write(result.rejectedOutput)
                }
            } catch {
                throw PredictionError(error)
            }
            totals.timings.writeSeconds += monotonicSeconds() - writeStarted
            return true
        }
        if totals.rowsRead == 0 { throw Self.noDataRows(input, line: dataLine) }
        if case .lenient(let fraction) = options.policy, totals.rowsRejected > 0,
            Double(totals.rowsRejected) > fraction * Double(totals.rowsRead)
        {
            // The predictions are not published, but the rows that failed are: they say why.
            var whereRejected = ""
            if let rejectedFile {
                do { try rejectedFile.commit() } catch { throw PredictionError(error) }
                whereRejected = "; the rejected rows are in \(rejectedFile.path)"
            }
            let first = totals.issues.first
            throw PredictionError(
                ValidationIssue(
                    file: input, line: first?.line ?? 1, column: first?.column, columnName: first?.columnName, value: first?.value,
                    rule: .tooManyRejected,
                    message:
                        "\(groupedThousands(totals.rowsRejected)) of \(groupedThousands(totals.rowsRead)) rows (\(cFormat("%.2f", 100 * Double(totals.rowsRejected) / Double(totals.rowsRead)))%) were rejected, more than the allowed \(cFormat("%.2f", 100 * fraction))%\(whereRejected); first: \(first?.description ?? "?")"
                ))
        }
        guard totals.countsAddUp else {
            // An engine bug, never an input problem: refuse to publish a result that lost rows.
            throw PredictionError(
                .io,
                "\(input): \(totals.rowsRead) rows read but \(totals.rowsPredicted) predicted + \(totals.rowsRejected) rejected; nothing was written"
            )
        }
        do {
            try out.finish()
            try rejectedFile?.commit()
        } catch {
            throw PredictionError(error)
        }
        totals.rejectedRowsPath = rejectedFile?.path
        return totals
    }

    /// Never destroys input: the output or the rejected-rows file must be neither the input nor
    /// the model, nor each other, however they are spelled (compared by device and inode).
    static func refuseOverwritingInputs(input: String, output: String, rejected: String, model: String) throws(PredictionError) {
        let clashes: [(String, String, String, String)] = [
            ("output", output, "input", input), ("output", output, "model", model),
            ("rejected-rows file", rejected, "input", input), ("rejected-rows file", rejected, "model", model),
            ("output", output, "rejected-rows file", rejected),
        ]
        for (what, path, other, otherPath) in clashes where path != "-" && otherPath != "-" && FileTree.sameFile(path, otherPath) {
            throw PredictionError(
                .usage, "\(path): the \(what) is the \(other) (\(otherPath)); refusing to overwrite it: choose another \(what) path")
        }
    }

    static func defaultRejectedPath(for output: String) -> String {
        (output.hasSuffix(".csv") ? String(output.dropLast(4)) : output) + ".rejected.csv"
    }
}

/// One row's prediction from the in-memory API.
public struct Prediction: Sendable, Equatable {
    /// Probability of the predicted class (class 1's for binary models); nil for regression.
    public let score: Float?
    /// Index of the predicted class; nil for regression.
    public let predictedClass: Int?
    /// The predicted class's label (the model's own for a classifier with labels, else "0"/"1"); nil for regression.
    public let label: String?
    /// Per-class probabilities (multiclass), or the single probability; empty for regression.
    public let probabilities: [Float]
    /// The regression value; nil for classifiers.
    public let value: Float?

    init(values: [Float], schema: OutputSchema, threshold: Float) {
        switch schema.kind {
        case .binary, .twoClass:
            let score = schema.kind == .binary ? values[0] : values[1]
            self.score = score
            predictedClass = score >= threshold ? 1 : 0
            if case .twoClass(let labels) = schema.kind {
                label = labels[score >= threshold ? 1 : 0]
            } else {
                label = score >= threshold ? "1" : "0"
            }
            probabilities = values
            value = nil
        case .multiclass(let labels):
            var best = 0
            for k in values.indices where values[k] > values[best] { best = k }
            score = values[best]
            predictedClass = best
            label = labels[best]
            probabilities = values
            value = nil
        case .regression:
            score = nil
            predictedClass = nil
            label = nil
            probabilities = []
            value = values[0]
        }
    }
}

/// Where a profile's predictions go: nowhere.
private final class DiscardingSink: ByteSink {
    var path: String { "(discarded)" }
    func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {}
    func finish() throws(FileError) {}
}
