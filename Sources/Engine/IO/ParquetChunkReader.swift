import Dispatch
import Files
import Parquet
import Synchronization

/// Rows of one Parquet row group, decoded, that one worker turns into output.
///
/// Slices of a row group share its decoded columns (copy-on-write arrays): slicing costs
/// nothing, and the row group's memory goes when its last slice is done.
struct ColumnSlice: Sendable {
    /// The chunk's position in the run, from 0.
    let index: Int
    /// The row group, 0-based as Parquet tools count them.
    let rowGroup: Int
    /// The slice's rows, counted in the row group.
    let rows: Range<Int>
    /// The 1-based number in the file of the row group's first row.
    let firstRowNumber: Int
    /// Decoded columns by position in the file's schema; nil for columns the run does not need.
    let columns: [ParquetColumnData?]
    /// The same row group's columns as the file holds them, for the text of rejected rows.
    let originals: OriginalColumns

    /// Column `index` as the file holds it (decoded again if it was kept as Float).
    func original(_ index: Int) -> ParquetColumnData? {
        originals.column(index) ?? columns[index]
    }
}

/// The columns of a row group that only feed the model are kept as Float; a rejected row is
/// written as the file holds it, so those are decoded again, once per row group, only when a
/// row of it is rejected.
final class OriginalColumns: Sendable {
    let file: ParquetFile
    let rowGroup: Int
    /// Schema positions of the columns kept as Float.
    let narrowed: Set<Int>
    private let decoded = Mutex<[Int: ParquetColumnData]?>(nil)
    /// Signalled when the last slice of the row group is done with it (see ``ParquetChunkReader``).
    let released = DispatchSemaphore(value: 0)

    init(file: ParquetFile, rowGroup: Int, narrowed: Set<Int>) {
        self.file = file
        self.rowGroup = rowGroup
        self.narrowed = narrowed
    }

    deinit { released.signal() }

    /// Column `index` as the file holds it when it was narrowed; nil otherwise (or if it cannot
    /// be read again, when the Float values stand in).
    func column(_ index: Int) -> ParquetColumnData? {
        guard narrowed.contains(index) else { return nil }
        return decoded.withLock { decoded in
            if decoded == nil {
                var columns: [Int: ParquetColumnData] = [:]
                for column in narrowed { columns[column] = try? file.readColumn(rowGroup: rowGroup, column: column) }
                decoded = columns
            }
            return decoded?[index]
        }
    }
}

/// Reads a Parquet file row group by row group, decoding only the columns a run needs, and
/// hands it on in slices of rows.
///
/// Memory is bounded by one row group (its needed columns, decoded), not the file: the next row
/// group is decoded once every slice of the last one is done. Its columns are decoded in
/// parallel when the run has several threads (each is independent), so the workers wait for the
/// decode only as long as it takes on all cores.
final class ParquetChunkReader: ChunkSource {
    let file: ParquetFile
    /// Schema positions of the columns to decode.
    private let needed: [Int]
    /// Those that only feed the model: kept as Float once decoded (half the memory of 64-bit
    /// values), as their text is never written.
    private let modelOnly: Set<Int>
    private let sliceRows: Int
    private let threads: Int
    private let hashing: Bool
    /// The row group being handed out; -1 before the first.
    private var rowGroup = -1
    private var decoded: [ParquetColumnData?] = []
    private var originals: OriginalColumns?
    /// The next row to hand out, in the current row group.
    private var position = 0
    private var nextIndex = 0
    private(set) var bytesRead = 0

    var fileSize: Int? { file.fileSize }

    /// Rows per slice: a few batches of the model, small next to a row group.
    static let defaultSliceRows = 32_768

    init(file: ParquetFile, needed: [Int], modelOnly: Set<Int>, threads: Int, hashing: Bool, sliceRows: Int = defaultSliceRows) {
        self.file = file
        self.needed = needed
        self.modelOnly = modelOnly
        self.threads = max(threads, 1)
        self.hashing = hashing
        self.sliceRows = max(sliceRows, 1)
    }

    func nextChunk() throws(PredictionError) -> InputChunk? {
        while rowGroup < 0 || position >= file.rowGroups[rowGroup].rowCount {
            decoded = []
            if let released = originals?.released {
                // The previous row group goes once its last slice is done; wait for that, so
                // that two are never held at once. (Bounded: a slice kept elsewhere by mistake
                // costs memory, not a hang.)
                originals = nil
                _ = released.wait(timeout: .now() + .seconds(60))
            }
            rowGroup += 1
            guard rowGroup < file.rowGroups.count else { return nil }
            do { decoded = try decode(rowGroup: rowGroup) } catch { throw PredictionError(error) }
            originals = OriginalColumns(file: file, rowGroup: rowGroup, narrowed: modelOnly)
            position = 0
        }
        let info = file.rowGroups[rowGroup]
        let end = min(position + sliceRows, info.rowCount)
        let slice = ColumnSlice(
            index: nextIndex, rowGroup: rowGroup, rows: position..<end, firstRowNumber: info.firstRow + 1, columns: decoded,
            originals: originals!)
        nextIndex += 1
        position = end
        return .columns(slice)
    }

    /// The SHA-256 of the file as received: Parquet is not read in order, so the file is hashed
    /// once more at the end (from the page cache).
    func finalizeSHA256() -> String? {
        guard hashing else { return nil }
        return try? FileDigest(of: file.path).sha256
    }

    private func decode(rowGroup: Int) throws(FileError) -> [ParquetColumnData?] {
        let results = Mutex([Int: Result<ParquetColumnData, ParquetError>]())
        let file = self.file
        let needed = self.needed
        let modelOnly = self.modelOnly
        let work: @Sendable (Int) -> Void = { k in
            let result: Result<ParquetColumnData, ParquetError>
            do throws(ParquetError) {
                let data = try file.readColumn(rowGroup: rowGroup, column: needed[k])
                result = .success(modelOnly.contains(needed[k]) ? data.narrowedToFloat() ?? data : data)
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[k] = result }
        }
        if threads > 1 && needed.count > 1 {
            DispatchQueue.concurrentPerform(iterations: needed.count, execute: work)
        } else {
            for k in needed.indices { work(k) }
        }
        var columns = [ParquetColumnData?](repeating: nil, count: file.columns.count)
        for (k, column) in needed.enumerated() {
            switch results.withLock({ $0[k]! }) {
            case .success(let data): columns[column] = data
            case .failure(let error): throw Self.fileError(error)
            }
        }
        // Progress counts rows decoded, as a share of the file's bytes.
        let rowsDecoded = file.rowGroups[rowGroup].firstRow + file.rowGroups[rowGroup].rowCount
        bytesRead = rowsDecoded == file.rowCount ? file.fileSize : file.fileSize * rowsDecoded / max(file.rowCount, 1)
        return columns
    }

    /// A Parquet error as the run reports read failures: the file is malformed (not retried)
    /// unless the system failed to read it.
    static func fileError(_ error: ParquetError) -> FileError {
        FileError(code: error.code == .io ? .io : .corrupt, message: error.description)
    }
}
