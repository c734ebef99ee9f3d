/// Rebuilds a report from an existing predictions.csv (for `inferwatcher report FILE`).
///
/// The scores in the file carry six decimals, so the statistics can differ from the original run's
/// (computed on full-precision scores) in the sixth decimal; the counts are exact.
public enum PredictionsFileSummary {
    /// Reads `path` and summarises its `prediction_score`/`prediction_class` (classifiers) or
    /// `prediction_value` (regression) column.
    /// - Throws: ``PredictionError`` naming the file, line and column of anything unreadable.
    public static func report(path: String) throws(PredictionError) -> PredictionReport {
        let reader: CSVChunkReader
        let first: CSVChunk?
        do { reader = try CSVChunkReader(path: path) } catch { throw PredictionError(error) }
        first = try reader.next()
        guard let first else {
            throw PredictionError(ValidationIssue(file: path, line: 1, rule: .emptyFile, message: "the file is empty"))
        }
        let header: (names: [String], dataStart: Int, dataLine: Int)
        do { header = try PredictionRun.header(of: first, file: path) } catch { throw PredictionError(error) }
        let scoreColumn = header.names.firstIndex(of: "prediction_score")
        let classColumn = header.names.firstIndex(of: "prediction_class")
        let valueColumn = header.names.firstIndex(of: "prediction_value")
        let labels = header.names.filter { $0.hasPrefix("score_") }.map { String($0.dropFirst(6)) }
        var kind: OutputSchema.Kind
        if let _ = valueColumn {
            kind = .regression
        } else if scoreColumn != nil && classColumn != nil {
            kind = labels.count >= 3 ? .multiclass(labels: labels) : .binary
        } else {
            throw PredictionError(
                ValidationIssue(
                    file: path, line: 1, rule: .missingColumn,
                    message: "not a predictions file: no prediction_score and prediction_class, nor prediction_value column"))
        }
        guard let column = valueColumn ?? scoreColumn else { fatalError("unreachable: checked above") }
        // What the file does not say (the model, the threshold, the policy, timings) stays nil.
        var report = PredictionReport(
            inputPath: path, inputSHA256: nil, inputBytes: nil, modelPath: nil, modelSHA256: nil, outputKind: kind,
            threshold: nil, policy: nil, startedAt: nil)
        report.duplicateIDs = nil
        let timestampColumn = header.names.firstIndex(of: "timestamp")
        var classCounts = [Int](repeating: 0, count: labels.count)
        // Two classes: rows per class text, and the class of the highest score (the positive one,
        // for a model with labels of its own such as churn/stay).
        var twoClassCounts: [String: Int] = [:]
        var topScore = (score: -Double.infinity, label: "")
        var fields: [FieldSpan] = []
        var chunk: CSVChunk? = first
        var start = header.dataStart
        var line = header.dataLine
        while let current = chunk {
            let failure: ValidationIssue? = current.bytes.withUnsafeBufferPointer { bytes in
                var position = start
                while position < bytes.count {
                    let record = CSVRecordScanner.scan(bytes, from: position, into: &fields)
                    let recordLine = line
                    position = record.next
                    line += record.newlines
                    if fields.count == 1 && fields[0].count == 0 { continue }
                    guard fields.count == header.names.count else {
                        return ValidationIssue(
                            file: path, line: recordLine, rule: .raggedRow,
                            message: "row has \(fields.count) fields but the header has \(header.names.count)")
                    }
                    guard case .number(let value) = DecimalParser.parse(bytes, fields[column].start, fields[column].end) else {
                        return ValidationIssue(
                            file: path, line: recordLine, column: column + 1, columnName: header.names[column],
                            value: CSVRecordScanner.text(of: fields[column], in: bytes), rule: .notANumber,
                            message: "column '\(header.names[column])' is not a number")
                    }
                    if report.startedAt == nil, let timestampColumn {
                        report.startedAt = CSVRecordScanner.text(of: fields[timestampColumn], in: bytes)  // the run's start, every row
                    }
                    let classText = classColumn.map { CSVRecordScanner.text(of: fields[$0], in: bytes) }
                    report.statistics.add(value, positive: classText == "1")
                    if let classText, let index = labels.firstIndex(of: classText) { classCounts[index] += 1 }
                    if let classText, kind == .binary, twoClassCounts.count <= 2 {
                        twoClassCounts[classText, default: 0] += 1
                        if value > topScore.score { topScore = (value, classText) }
                    }
                }
                return nil
            }
            if let failure { throw PredictionError(failure) }
            chunk = try reader.next()
            start = 0
            if let next = chunk { line = next.firstLine }
        }
        // Classes other than 0 and 1 are the model's own labels: name them, and count the class
        // the highest score has as positive.
        if kind == .binary, twoClassCounts.count == 2, !twoClassCounts.keys.allSatisfy({ $0 == "0" || $0 == "1" }) {
            let negative = twoClassCounts.keys.first { $0 != topScore.label }!
            kind = .twoClass(labels: [negative, topScore.label])
            report.outputKind = kind
            report.statistics.setPositiveCount(twoClassCounts[topScore.label]!)
        }
        report.rowsRead = report.statistics.count
        report.rowsPredicted = report.statistics.count
        report.classCounts = classCounts
        report.inputBytes = reader.bytesRead
        return report
    }
}
