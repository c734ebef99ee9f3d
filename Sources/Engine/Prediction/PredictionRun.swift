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

/// One pass over a CSV file as a pipeline: chunks are read in order, processed by `threads`
/// workers at once, and handed to the caller strictly in file order.
///
/// Workers take turns at the reader (each read is one large `read(2)`), then parse, validate,
/// predict and format their chunk without locks. The calling thread merges results in order and
/// writes them, so reading, computing and writing overlap. At most ``window`` chunks are between
/// "read" and "merged" at any time, which bounds memory whatever the file's size.
struct PredictionRun {
    let input: String
    let processor: ChunkProcessor
    let threads: Int
    let progress: (@Sendable (PredictionProgress) -> Void)?
    /// Asked between chunks; returning true abandons the run.
    let shouldStop: (@Sendable () -> Bool)?

    /// Chunks allowed between read and merged: enough for every worker to have one in hand and
    /// one finished while the caller writes another.
    var window: Int { 2 * threads + 1 }

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

        /// Adds the counts, statistics and issues of the next chunk in file order.
        mutating func add(_ result: ChunkResult) {
            rowsRead += result.rowsRead
            rowsPredicted += result.rowsPredicted
            rowsRejected += result.rowsRejected
            blankLines += result.blankLines
            statistics.merge(result.statistics)
            if classCounts.isEmpty {
                classCounts = result.classCounts
            } else {
                for k in result.classCounts.indices { classCounts[k] += result.classCounts[k] }
            }
            timings.add(result.timings)
            if issues.count < ChunkProcessor.issueLimit {
                issues.append(contentsOf: result.issues.prefix(ChunkProcessor.issueLimit - issues.count))
            }
        }
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

    /// Runs over the file; `onChunk` receives each chunk's result in file order, on the calling
    /// thread, and may stop the run by returning false.
    func run(
        reader: sending CSVChunkReader,
        first: CSVChunk,
        dataStart: Int,
        dataLine: Int,
        onChunk: (ChunkResult, inout Totals) throws(PredictionError) -> Bool
    ) throws(PredictionError) -> Totals {
        let started = monotonicSeconds()
        let fileSize = reader.fileSize
        let pipeline = ChunkPipeline(reader: reader, first: (first, dataStart, dataLine), window: window)
        let processor = self.processor
        let workers = DispatchGroup()
        for _ in 0..<max(threads, 1) {
            DispatchQueue.global(qos: .userInitiated).async(group: workers) {
                while let (chunk, start, line) = pipeline.nextChunk() {
                    pipeline.finished(processor.process(index: chunk.index, bytes: chunk.bytes, start: start, firstLine: line))
                }
            }
        }
        // However the loop below ends, let the workers go before returning.
        defer {
            pipeline.cancel()
            workers.wait()
        }

        var totals = Totals()
        var duplicates = DuplicateIDTracker()
        let plan = processor.plan
        var index = 0
        while true {
            if shouldStop?() == true { throw PredictionError(.cancelled, "\(input): stopped before the end (shutting down)") }
            let next: ChunkResult?
            do { next = try pipeline.result(index) } catch { throw PredictionError(error) }
            guard let result = next else { break }
            if let modelError = result.modelError { throw modelError }
            totals.add(result)
            duplicates.add(result.ids) { line in
                totals.duplicateIDs += 1
                if totals.duplicateSample.count < 20 {
                    totals.duplicateSample.append(ValidationIssue(
                        file: input, line: line, column: plan.idColumn + 1, columnName: plan.header[plan.idColumn],
                        rule: .duplicateID, message: "id repeats an earlier row's id (the row is still predicted)"))
                }
            }
            guard try onChunk(result, &totals) else { return totals }
            pipeline.merged()
            index += 1
            progress?(PredictionProgress(
                bytesRead: pipeline.bytesRead, totalBytes: fileSize, rowsRead: totals.rowsRead,
                elapsedSeconds: monotonicSeconds() - started))
        }
        (totals.inputSHA256, totals.inputBytes) = pipeline.inputDigest()
        return totals
    }
}

/// The shared state of one ``PredictionRun``: the reader, finished chunks waiting for their turn,
/// and the window of chunks in flight.
private final class ChunkPipeline: Sendable {
    typealias Task = (chunk: CSVChunk, start: Int, line: Int)

    private struct State {
        let reader: CSVChunkReader
        var first: Task?
        var nextIndex = 0
        var chunkCount: Int?
        var readError: FileIOError?
        var finished: [Int: ChunkResult] = [:]
        var cancelled = false
        var bytesRead = 0
    }

    private let state: Mutex<State>
    /// One permit per chunk allowed in flight; a worker takes one before reading.
    private let slots: DispatchSemaphore
    /// Signalled whenever a chunk finishes or the input ends.
    private let progressed = DispatchSemaphore(value: 0)
    private let window: Int

    init(reader: sending CSVChunkReader, first: sending Task, window: Int) {
        state = Mutex(State(reader: reader, first: first))
        slots = DispatchSemaphore(value: window)
        self.window = window
    }

    var bytesRead: Int { state.withLock { $0.bytesRead } }

    /// The next chunk to process, or nil when the input is exhausted, failed or the run was cancelled.
    func nextChunk() -> Task? {
        slots.wait()
        let task = state.withLock { state -> Task? in
            guard !state.cancelled, state.chunkCount == nil else { return nil }
            if let first = state.first {
                state.first = nil
                state.nextIndex = 1
                state.bytesRead = state.reader.bytesRead
                return first
            }
            do throws(FileIOError) {
                if let chunk = try state.reader.next() {
                    state.nextIndex += 1
                    state.bytesRead = state.reader.bytesRead
                    return (chunk, 0, chunk.firstLine)
                }
            } catch {
                state.readError = error
            }
            state.chunkCount = state.nextIndex
            return nil
        }
        if task == nil {
            // Hand the permit on: the other workers must wake up to see the end too.
            slots.signal()
            progressed.signal()
        }
        return task
    }

    /// A worker's finished chunk.
    func finished(_ result: ChunkResult) {
        state.withLock { $0.finished[result.index] = result }
        progressed.signal()
    }

    /// Waits for chunk `index`; nil once every chunk has been handed out.
    func result(_ index: Int) throws(FileIOError) -> ChunkResult? {
        while true {
            let outcome: Result<ChunkResult?, FileIOError>? = state.withLock { state in
                if let result = state.finished.removeValue(forKey: index) { return .success(result) }
                if let count = state.chunkCount, index >= count {
                    if let error = state.readError { return .failure(error) }
                    return .success(nil)
                }
                return nil
            }
            if let outcome { return try outcome.get() }
            progressed.wait()
        }
    }

    /// SHA-256 and size of everything read; call once, after the last chunk.
    func inputDigest() -> (sha256: String, bytes: Int) {
        state.withLock { ($0.reader.finalizeSHA256(), $0.reader.bytesRead) }
    }

    /// The caller is done with one chunk: a worker may read another.
    func merged() { slots.signal() }

    /// Stops handing out chunks and wakes every waiting worker.
    func cancel() {
        state.withLock { $0.cancelled = true }
        for _ in 0..<window { slots.signal() }
    }
}
