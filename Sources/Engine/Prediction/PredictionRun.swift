import Dispatch
import Synchronization

/// Where a run is, for progress displays.
public struct PredictionProgress: Sendable {
    public let bytesRead: Int
    /// The input's size, when known.
    public let totalBytes: Int?
    public let rowsRead: Int
    public let elapsedSeconds: Double
}

/// The result of validating a file without predicting.
public struct ValidationSummary: Sendable {
    public let file: String
    public let rowsRead: Int
    public let rowsValid: Int
    public let blankLinesSkipped: Int
    /// Issues in file order (at most the limit asked for); empty means the file is valid.
    public let issues: [ValidationIssue]
    /// Total rows with an issue (may exceed `issues.count`).
    public let invalidRows: Int
    public let duplicateIDs: Int
}

/// One pass over a CSV file: chunks are read in order, processed in parallel, merged in order.
struct PredictionRun {
    let input: String
    let processor: ChunkProcessor
    let threads: Int
    let chunkBytes: Int
    let progress: (@Sendable (PredictionProgress) -> Void)?
    /// Asked between rounds of chunks; returning true abandons the run.
    let shouldStop: (@Sendable () -> Bool)?

    /// Totals merged from every chunk, in file order.
    struct Totals {
        var rowsRead = 0
        var rowsPredicted = 0
        var rowsRejected = 0
        var blankLines = 0
        var statistics = ScoreStatistics()
        var classCounts: [Int] = []
        var issues: [ValidationIssue] = []
        var duplicateIDs = 0
        var duplicateSample: [ValidationIssue] = []
        var timings = PredictionReport.StageTimings()
        var inputSHA256 = ""
        var inputBytes = 0

        var countsAddUp: Bool { rowsRead == rowsPredicted + rowsRejected }
    }

    /// Reads the header: its names, and where the data starts in the first chunk.
    static func header(of chunk: CSVChunk, file: String) throws(ValidationIssue) -> (names: [String], dataStart: Int, dataLine: Int) {
        var fields: [FieldSpan] = []
        return try chunk.bytes.withUnsafeBufferPointer { bytes throws(ValidationIssue) in
            let record = CSVRecordScanner.scan(bytes, from: 0, into: &fields)
            if record.unterminatedQuote {
                throw ValidationIssue(file: file, line: 1, column: fields.count, rule: .unterminatedQuote,
                    message: "a quoted header field is never closed")
            }
            if let bad = fields.firstIndex(where: \.isMalformed) {
                throw ValidationIssue(file: file, line: 1, column: bad + 1, rule: .malformedQuoting,
                    message: "header column \(bad + 1) has a quote that is not RFC 4180")
            }
            let names = fields.map { CSVRecordScanner.text(of: $0, in: bytes) }
            if let blank = names.firstIndex(where: { $0.trimmingSpaces().isEmpty }) {
                throw ValidationIssue(file: file, line: 1, column: blank + 1, rule: .missingColumn,
                    message: "header column \(blank + 1) has no name")
            }
            return (names, record.next, 1 + record.newlines)
        }
    }

    /// Runs over the file; `onChunk` receives each chunk's result in file order and may stop the
    /// run by returning false.
    func run(
        reader: CSVChunkReader,
        first: CSVChunk,
        dataStart: Int,
        dataLine: Int,
        onChunk: (ChunkResult, inout Totals) throws(PredictionError) -> Bool
    ) throws(PredictionError) -> Totals {
        var totals = Totals()
        let started = monotonicSeconds()
        var pendingFirst: (CSVChunk, Int, Int)? = (first, dataStart, dataLine)
        var seenIDs = Set<UInt64>()
        var exhausted = false
        let processor = self.processor
        while !exhausted {
            if shouldStop?() == true { throw PredictionError(.cancelled, "\(input): stopped before the end (shutting down)") }
            var round: [(CSVChunk, Int, Int)] = []
            if let firstTask = pendingFirst {
                round.append(firstTask)
                pendingFirst = nil
            }
            while round.count < threads {
                let chunk: CSVChunk?
                do { chunk = try reader.next() } catch { throw PredictionError(error) }
                guard let chunk else {
                    exhausted = true
                    break
                }
                round.append((chunk, 0, chunk.firstLine))
            }
            if round.isEmpty { break }
            let results = Mutex<[ChunkResult?]>(Array(repeating: nil, count: round.count))
            let tasks = round
            DispatchQueue.concurrentPerform(iterations: tasks.count) { slot in
                let (chunk, start, line) = tasks[slot]
                let result = processor.process(index: chunk.index, bytes: chunk.bytes, start: start, firstLine: line)
                results.withLock { $0[slot] = result }
            }
            for result in results.withLock({ $0 }) {
                guard let result else { continue }
                if let modelError = result.modelError { throw modelError }
                totals.rowsRead += result.rowsRead
                totals.rowsPredicted += result.rowsPredicted
                totals.rowsRejected += result.rowsRejected
                totals.blankLines += result.blankLines
                totals.statistics.merge(result.statistics)
                if totals.classCounts.isEmpty {
                    totals.classCounts = result.classCounts
                } else {
                    for k in result.classCounts.indices { totals.classCounts[k] += result.classCounts[k] }
                }
                totals.timings.add(result.timings)
                if totals.issues.count < ChunkProcessor.issueLimit {
                    totals.issues.append(contentsOf: result.issues.prefix(ChunkProcessor.issueLimit - totals.issues.count))
                }
                for (hash, line) in result.idHashes where !seenIDs.insert(hash).inserted {
                    totals.duplicateIDs += 1
                    if totals.duplicateSample.count < 20 {
                        totals.duplicateSample.append(ValidationIssue(
                            file: input, line: line, column: processor.plan.idColumn + 1,
                            columnName: processor.plan.header[processor.plan.idColumn], rule: .duplicateID,
                            message: "id repeats an earlier row's id (the row is still predicted)"))
                    }
                }
                guard try onChunk(result, &totals) else { return totals }
            }
            progress?(PredictionProgress(
                bytesRead: reader.bytesRead, totalBytes: reader.fileSize, rowsRead: totals.rowsRead,
                elapsedSeconds: monotonicSeconds() - started))
        }
        totals.inputSHA256 = reader.finalizeSHA256()
        totals.inputBytes = reader.bytesRead
        return totals
    }
}
