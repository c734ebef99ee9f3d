import Dispatch
import Files
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

/// A piece of the input that one worker turns into output on its own.
enum InputChunk: Sendable {
    /// CSV records: those of `chunk.bytes[start...]`, the first on line `line`.
    case text(CSVChunk, start: Int, line: Int)
    /// Rows of a Parquet file, decoded.
    case columns(ColumnSlice)

    /// The chunk's position in the input, from 0.
    var index: Int {
        switch self {
        case .text(let chunk, _, _): chunk.index
        case .columns(let slice): slice.index
        }
    }
}

/// Where a run's chunks come from, in file order: ``CSVChunkReader`` or ``ParquetChunkReader``.
protocol ChunkSource: AnyObject {
    /// The next chunk, or nil at the end of the input.
    func nextChunk() throws(PredictionError) -> InputChunk?
    /// Bytes of the input read so far, as received (for progress).
    var bytesRead: Int { get }
    /// The input's size, when known.
    var fileSize: Int? { get }
    /// SHA-256 of the bytes received, nil when not hashing; call once, after the last chunk.
    func finalizeSHA256() -> String?
}

/// One pass over an input file as a pipeline: chunks are read in order, processed by `threads`
/// workers at once, and handed to the caller strictly in file order.
///
/// A reader thread cuts chunks (one large `read(2)` each, hashed as they pass, or a Parquet row
/// group decoded and sliced); `threads` workers parse, validate, predict and format them without
/// sharing anything; the calling thread merges
/// the results in order and writes them. Reading, computing and writing overlap, and no lock is
/// held during any of them. At most ``window`` chunks are between "read" and "merged" at any
/// time, which bounds memory whatever the file's size.
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
        /// Where the rejected rows went, once written.
        var rejectedRowsPath: String?
        var rowsRead = 0
        var rowsPredicted = 0
        var rowsRejected = 0
        var blankLines = 0
        var statistics = ScoreStatistics()
        var classCounts: [Int] = []
        var features: FeatureAccumulator?
        var issues: [ValidationIssue] = []
        var duplicateIDs = 0
        var duplicateSample: [ValidationIssue] = []
        var timings = PredictionReport.StageTimings()
        var inputSHA256: String?
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
            if let chunkFeatures = result.features {
                if features == nil { features = chunkFeatures } else { features?.merge(chunkFeatures) }
            }
            timings.add(result.timings)
            if issues.count < ChunkProcessor.issueLimit {
                issues.append(contentsOf: result.issues.prefix(ChunkProcessor.issueLimit - issues.count))
            }
        }
    }

    /// Reads the header: its names, and where the data starts in the first chunk.
    ///
    /// A name that is not UTF-8 becomes its escaped spelling (`caf\xE9`, see
    /// `String(escaping:limit:)`), so messages, reports and the output header show its bytes
    /// rather than U+FFFD; the header's own bytes appear in messages only escaped and cut short.
    /// - Throws: a ``ValidationIssue`` on line 1: bad quoting, a blank name, or more than
    ///   `maxColumns` fields (counted before any field is stored).
    static func header(
        of chunk: CSVChunk, file: String, maxColumns: Int = PredictionOptions.defaultMaxColumns
    ) throws(ValidationIssue) -> (names: [String], dataStart: Int, dataLine: Int) {
        var fields: [FieldSpan] = []
        return try chunk.bytes.withUnsafeBufferPointer { bytes throws(ValidationIssue) in
            let columns = headerFieldCount(bytes)
            if columns > maxColumns {
                throw BatchPredictor.tooManyColumns(file, count: columns, limit: maxColumns)
            }
            let record = CSVRecordScanner.scan(bytes, from: 0, into: &fields)
            func shown(_ field: FieldSpan) -> String {
                String(escaping: UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]), limit: 80)
            }
            if record.unterminatedQuote {
                throw ValidationIssue(
                    file: file, line: 1, column: fields.count, value: fields.last.map(shown), rule: .unterminatedQuote,
                    message: "a quoted header field is never closed")
            }
            if let bad = fields.firstIndex(where: \.isMalformed) {
                throw ValidationIssue(
                    file: file, line: 1, column: bad + 1, value: shown(fields[bad]), rule: .malformedQuoting,
                    message: "header column \(bad + 1) '\(shown(fields[bad]))' has a quote that is not RFC 4180")
            }
            let names = fields.map { field -> String in
                let raw = CSVRecordScanner.bytes(of: field, in: bytes)
                return String(validating: raw, as: UTF8.self) ?? String(escaping: raw, limit: raw.count)
            }
            if let blank = names.firstIndex(where: { $0.trimmingSpaces().isEmpty }) {
                throw ValidationIssue(
                    file: file, line: 1, column: blank + 1, rule: .missingColumn,
                    message: "header column \(blank + 1) has no name")
            }
            return (names, record.next, 1 + record.newlines)
        }
    }

    /// Fields in the first record of `bytes`: one more than its commas outside quotes.
    private static func headerFieldCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 1
        var inQuotes = false
        for byte in bytes {
            if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if !inQuotes {
                if byte == UInt8(ascii: ",") {
                    count += 1
                } else if byte == UInt8(ascii: "\n") {
                    break
                }
            }
        }
        return count
    }

    /// Runs over the input; `onChunk` receives each chunk's result in file order, on the calling
    /// thread, and may stop the run by returning false. `first` is a chunk already taken from
    /// `source` (the one that held the CSV header), processed before the others.
    ///
    /// With one thread everything happens on the calling thread, in turn: read, process, merge.
    func run(
        source: sending any ChunkSource,
        first: InputChunk?,
        onChunk: (ChunkResult, inout Totals) throws(PredictionError) -> Bool
    ) throws(PredictionError) -> Totals {
        let fileSize = source.fileSize
        let processor = self.processor
        if threads <= 1 {
            var pending = first
            var totals = try mergeInOrder(
                next: { () throws(PredictionError) -> ChunkResult? in
                    var chunk = pending
                    pending = nil
                    if chunk == nil { chunk = try source.nextChunk() }
                    return chunk.map(processor.process)
                },
                merged: {}, bytesRead: { source.bytesRead }, fileSize: fileSize, onChunk: onChunk)
            (totals.inputSHA256, totals.inputBytes) = (source.finalizeSHA256(), source.bytesRead)
            return totals
        }

        let pipeline = ChunkPipeline(source: source, first: first, window: window, workers: threads)
        var started = [JoinableThread(role: "reader") { pipeline.readAll() }]
        for _ in 0..<pipeline.workers {
            started.append(
                JoinableThread(role: "worker") {
                    while let chunk = pipeline.nextChunk() { pipeline.finished(processor.process(chunk)) }
                })
        }
        // However the merge ends, let the threads go before returning.
        defer {
            pipeline.cancel()
            while let thread = started.popLast() { thread.join() }
        }
        var index = 0
        var totals = try mergeInOrder(
            next: { () throws(PredictionError) -> ChunkResult? in
                defer { index += 1 }
                return try pipeline.result(index)
            },
            merged: pipeline.merged, bytesRead: { pipeline.bytesRead }, fileSize: fileSize, onChunk: onChunk)
        (totals.inputSHA256, totals.inputBytes) = pipeline.inputDigest()
        return totals
    }

    /// Merges chunk results in file order until `next` runs out (or `onChunk` says stop):
    /// totals, duplicate ids, progress, cancellation.
    private func mergeInOrder(
        next: () throws(PredictionError) -> ChunkResult?,
        merged: () -> Void,
        bytesRead: () -> Int,
        fileSize: Int?,
        onChunk: (ChunkResult, inout Totals) throws(PredictionError) -> Bool
    ) throws(PredictionError) -> Totals {
        let started = monotonicSeconds()
        var totals = Totals()
        var duplicates = DuplicateIDTracker()
        let plan = processor.plan
        while true {
            if shouldStop?() == true { throw PredictionError(.cancelled, "\(input): stopped before the end (shutting down)") }
            let result: ChunkResult?
            result = try next()
            guard let result else { break }
            if let modelError = result.modelError { throw modelError }
            totals.add(result)
            duplicates.add(result.ids) { line in
                totals.duplicateIDs += 1
                if totals.duplicateSample.count < 20 {
                    totals.duplicateSample.append(
                        ValidationIssue(
                            file: input, line: line, column: plan.idColumn + 1, columnName: ColumnPlan.shown(plan.header[plan.idColumn]),
                            rule: .duplicateID, message: "id repeats an earlier row's id (the row is still predicted)"))
                }
            }
            guard try onChunk(result, &totals) else { return totals }
            merged()
            progress?(
                PredictionProgress(
                    bytesRead: bytesRead(), totalBytes: fileSize, rowsRead: totals.rowsRead,
                    elapsedSeconds: monotonicSeconds() - started))
        }
        return totals
    }
}

/// The shared state of one ``PredictionRun``: chunks read and waiting for a worker, finished
/// chunks waiting for their turn, and the window of chunks in flight. Every lock is held only to
/// move a value in or out.
final class ChunkPipeline: Sendable {
    private struct Shared {
        var first: InputChunk?
        /// Read, waiting for a worker (at most the window).
        var queued: [InputChunk] = []
        /// How many chunks the file had, once the reader reached its end.
        var chunkCount: Int?
        var readError: PredictionError?
        var finished: [Int: ChunkResult] = [:]
        var cancelled = false
        var bytesRead = 0
    }

    /// Used by the reader thread alone until it is done; then by ``inputDigest()``.
    private let source: Mutex<any ChunkSource>
    private let shared: Mutex<Shared>
    /// One permit per chunk allowed in flight: the reader takes one per chunk, the caller gives
    /// it back when the chunk is merged.
    ///
    /// Every semaphore here starts at 0 and is given its permits with `signal()`: Dispatch traps
    /// when a semaphore is freed holding fewer permits than it was created with, which is what
    /// a run that ends early (cancelled, refused, failed) leaves behind.
    private let slots = DispatchSemaphore(value: 0)
    /// One permit per queued chunk, and one per worker once the reader is done.
    private let queuedChunks = DispatchSemaphore(value: 0)
    /// Signalled whenever a chunk finishes or the reader is done.
    private let progressed = DispatchSemaphore(value: 0)
    private let window: Int
    let workers: Int

    init(source: sending any ChunkSource, first: sending InputChunk?, window: Int, workers: Int) {
        self.source = Mutex(source)
        shared = Mutex(Shared(first: first))
        self.window = window
        self.workers = workers
        for _ in 0..<window { slots.signal() }
    }

    var bytesRead: Int { shared.withLock { $0.bytesRead } }

    /// The reader thread: queues chunks while the window has room, until the end of the input,
    /// a read error or cancellation.
    func readAll() {
        var pending = shared.withLock { state -> InputChunk? in
            defer { state.first = nil }
            return state.first
        }
        var count = 0
        while true {
            slots.wait()
            if shared.withLock({ $0.cancelled }) { break }
            let task: InputChunk?
            if let first = pending {
                task = first
                pending = nil
            } else {
                let next: Result<InputChunk?, PredictionError> = source.withLock { source in
                    do throws(PredictionError) {
                        return .success(try source.nextChunk())
                    } catch {
                        return .failure(error)
                    }
                }
                switch next {
                case .success(let read): task = read
                case .failure(let error):
                    shared.withLock { $0.readError = error }
                    task = nil
                }
            }
            guard let task else { break }
            let bytes = source.withLock { $0.bytesRead }
            shared.withLock {
                $0.queued.append(task)
                $0.bytesRead = bytes
            }
            count += 1
            queuedChunks.signal()
        }
        shared.withLock { $0.chunkCount = count }
        for _ in 0..<workers { queuedChunks.signal() }
        progressed.signal()
    }

    /// The next chunk to process, or nil when the input is exhausted or the run was cancelled.
    func nextChunk() -> InputChunk? {
        queuedChunks.wait()
        return shared.withLock { state in state.cancelled || state.queued.isEmpty ? nil : state.queued.removeFirst() }
    }

    /// A worker's finished chunk.
    func finished(_ result: ChunkResult) {
        shared.withLock { $0.finished[result.index] = result }
        progressed.signal()
    }

    /// Waits for chunk `index`; nil once every chunk has been handed out.
    func result(_ index: Int) throws(PredictionError) -> ChunkResult? {
        while true {
            let outcome: Result<ChunkResult?, PredictionError>? = shared.withLock { state in
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

    /// SHA-256 (nil when not hashing) and size of everything read; call once, after the last chunk.
    func inputDigest() -> (sha256: String?, bytes: Int) {
        source.withLock { ($0.finalizeSHA256(), $0.bytesRead) }
    }

    /// The caller is done with one chunk: the reader may read another.
    func merged() { slots.signal() }

    /// Stops reading and handing out chunks, and wakes every waiting thread.
    func cancel() {
        shared.withLock { $0.cancelled = true }
        for _ in 0..<window { slots.signal() }
        for _ in 0..<workers { queuedChunks.signal() }
    }
}
