import Glibc

/// Where a row group sits in the file.
public struct ParquetRowGroupInfo: Sendable, Hashable {
    /// The rows in the row group.
    public let rowCount: Int
    /// The row group's first row, counted from 0 at the file's first row.
    public let firstRow: Int
    /// The uncompressed size of its column data, as the writer recorded it.
    public let totalByteSize: Int
}

/// An open Parquet file with a flat schema: the footer is read and checked on open, and column
/// chunks are read on demand with `pread`, so several threads can read chunks at once.
public final class ParquetFile: Sendable {
    /// The path the file was opened with.
    public let path: String
    /// The leaf columns in schema order.
    public let columns: [ParquetColumn]
    /// The rows in the file.
    public let rowCount: Int
    /// The row groups in file order.
    public let rowGroups: [ParquetRowGroupInfo]
    /// The file's size in bytes when it was opened.
    public let fileSize: Int

    private let descriptor: Int32
    private let chunks: [[ColumnChunkMetadata]]

    /// Opens `path` and reads and checks its footer.
    /// - Throws: `ParquetError` when the file cannot be read, is not Parquet, is damaged, or has
    ///   a nested schema or a codec the reader lacks.
    public init(path: String) throws(ParquetError) {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ParquetError(.io, "cannot open the file: \(String(cString: strerror(errno)))").located(path: path)
        }
        do throws(ParquetError) {
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                throw ParquetError(.io, "cannot stat the file: \(String(cString: strerror(errno)))")
            }
            let size = Int(status.st_size)
            let (metadata, footerStart) = try Self.readFooter(descriptor, size: size)
            let columns = try ParquetColumn.flatten(metadata.schema)
            var groups: [ParquetRowGroupInfo] = []
            var chunks: [[ColumnChunkMetadata]] = []
            var firstRow = 0
            for (index, group) in metadata.rowGroups.enumerated() {
                do {
                    try Self.check(group, columns: columns, dataEnd: footerStart)
                } catch {
                    throw error.located(rowGroup: index)
                }
                let rows = Int(group.rowCount)
                groups.append(ParquetRowGroupInfo(rowCount: rows, firstRow: firstRow, totalByteSize: Int(clamping: group.totalByteSize)))
                chunks.append(group.columns)
                firstRow += rows
            }
            guard firstRow == metadata.rowCount else {
                throw ParquetError(.corruptMetadata, "the footer counts \(metadata.rowCount) rows, its row groups \(firstRow)")
            }
            self.descriptor = descriptor
            self.columns = columns
            self.rowCount = firstRow
            self.rowGroups = groups
            self.chunks = chunks
            self.fileSize = size
        } catch {
            close(descriptor)
            throw error.located(path: path)
        }
    }

    deinit { close(descriptor) }

    /// The magic at both ends of a Parquet file.
    static let magic: [UInt8] = Array("PAR1".utf8)

    private static func readFooter(_ descriptor: Int32, size: Int) throws(ParquetError) -> (FileMetadata, Int) {
        guard size >= 12 else {
            throw ParquetError(.notParquet, "the file has \(size) bytes, a Parquet file has at least 12 (it is not Parquet, or truncated)")
        }
        let tail = try RawBuffer(capacity: 8)
        try readFully(descriptor, into: tail.base, count: 8, at: size - 8)
        let head = try RawBuffer(capacity: 4)
        try readFully(descriptor, into: head.base, count: 4, at: 0)
        guard UnsafeRawBufferPointer(start: head.base, count: 4).elementsEqual(magic) else {
            throw ParquetError(.notParquet, "the file does not start with PAR1 (it is not Parquet)", offset: 0)
        }
        guard UnsafeRawBufferPointer(start: tail.base + 4, count: 4).elementsEqual(magic) else {
            throw ParquetError(
                .notParquet, "the file does not end with PAR1 (it is not Parquet, or it was truncated while being written)",
                offset: size - 4)
        }
        let footerLength = Int(UInt32(littleEndian: tail.base.loadUnaligned(as: UInt32.self)))
        guard footerLength > 0, footerLength <= size - 12 else {
            throw ParquetError(
                .notParquet, "the footer claims \(footerLength) bytes, the file has room for \(size - 12) (the file is damaged)",
                offset: size - 8)
        }
        let footerStart = size - 8 - footerLength
        let footer = try RawBuffer(capacity: footerLength)
        try readFully(descriptor, into: footer.base, count: footerLength, at: footerStart)
        var reader = ThriftCompactReader(UnsafeRawBufferPointer(start: footer.base, count: footerLength), fileOffset: footerStart)
        let metadata = try FileMetadata(&reader)
        return (metadata, footerStart)
    }

    private static func check(_ group: RowGroupMetadata, columns: [ParquetColumn], dataEnd: Int) throws(ParquetError) {
        guard group.rowCount >= 0, group.rowCount <= Int64(Int32.max) else {
            throw ParquetError(.corruptMetadata, "the row group claims \(group.rowCount) rows")
        }
        guard group.columns.count == columns.count else {
            throw ParquetError(
                .corruptMetadata, "the row group has \(group.columns.count) column chunks, the schema \(columns.count) columns")
        }
        for (chunk, column) in zip(group.columns, columns) {
            do throws(ParquetError) {
                guard chunk.filePath == nil else {
                    throw ParquetError(
                        .unsupported, "the column chunk lives in another file (\(chunk.filePath!)); only single-file Parquet is supported")
                }
                guard chunk.hasMetadata else { throw ParquetError(.corruptMetadata, "the column chunk has no metadata") }
                guard chunk.physicalType == column.physicalType.rawValue else {
                    throw ParquetError(
                        .corruptMetadata, "the column chunk's type \(chunk.physicalType) differs from the schema's \(column.physicalType)")
                }
                guard PageDecompressor.supports(chunk.codec) else {
                    throw ParquetError(
                        .unsupported,
                        "the column is compressed with \(PageDecompressor.name(chunk.codec)); supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD "
                            + "(rewrite the file with one of them)")
                }
                guard chunk.valueCount == group.rowCount else {
                    throw ParquetError(.corruptMetadata, "the column chunk holds \(chunk.valueCount) values for \(group.rowCount) rows")
                }
                let range = chunkRange(chunk)
                guard range.start >= 4, range.length >= 0, range.length <= Int64(dataEnd) - range.start else {
                    throw ParquetError(
                        .corruptMetadata,
                        "the column chunk claims bytes \(range.start)..<\(range.start &+ range.length), the column data ends at \(dataEnd) "
                            + "(the file is damaged or truncated)")
                }
            } catch {
                throw error.located(column: column.name)
            }
        }
    }

    /// Where a chunk's pages start (its dictionary page, if any) and how many bytes they take.
    private static func chunkRange(_ chunk: ColumnChunkMetadata) -> (start: Int64, length: Int64) {
        var start = chunk.dataPageOffset
        // Some writers store 0 for "no dictionary page"; a dictionary page always precedes the data.
        if let dictionary = chunk.dictionaryPageOffset, dictionary > 0, dictionary < start { start = dictionary }
        return (start, chunk.totalCompressedSize)
    }

    /// Reads and decodes one column chunk; safe to call from several threads at once.
    /// - Throws: `ParquetError` (with the row group and column) when the chunk is damaged or uses
    ///   an encoding the reader lacks, or `outOfRange` for a bad index.
    public func readColumn(rowGroup: Int, column: Int) throws(ParquetError) -> ParquetColumnData {
        guard rowGroups.indices.contains(rowGroup), columns.indices.contains(column) else {
            throw ParquetError(
                .outOfRange,
                "row group \(rowGroup), column \(column) requested; the file has \(rowGroups.count) row groups and \(columns.count) columns"
            ).located(path: path)
        }
        let chunk = chunks[rowGroup][column]
        let description = columns[column]
        do {
            let (start, length) = Self.chunkRange(chunk)
            let buffer = try RawBuffer(capacity: Int(length))
            try Self.readFully(descriptor, into: buffer.base, count: Int(length), at: Int(start))
            var decoder = try ColumnChunkDecoder(column: description, codec: chunk.codec, rowCount: rowGroups[rowGroup].rowCount)
            try decoder.decode(UnsafeRawBufferPointer(start: buffer.base, count: Int(length)), fileOffset: Int(start))
            return try decoder.finish()
        } catch {
            throw error.located(path: path, rowGroup: rowGroup, column: description.name)
        }
    }

    private static func readFully(
        _ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int
    ) throws(ParquetError) {
        var done = 0
        while done < count {
            let result = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw ParquetError(.io, "cannot read \(count) bytes: \(String(cString: strerror(errno)))", offset: offset + done)
            }
            guard result > 0 else {
                throw ParquetError(
                    .io, "the file ended while reading \(count) bytes (it shrank after it was opened)", offset: offset + done)
            }
            done += result
        }
    }
}
