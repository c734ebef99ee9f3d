import Glibc

/// Decodes one column chunk (its dictionary page and data pages, v1 or v2) into dense row
/// storage: every row has a slot (null rows hold zeros), so row access is O(1).
struct ColumnChunkDecoder {
    /// Parquet's Encoding enum values the reader handles.
    enum Encoding {
        static let plain: Int32 = 0
        static let plainDictionary: Int32 = 2
        static let rle: Int32 = 3
        static let bitPacked: Int32 = 4
        static let deltaBinaryPacked: Int32 = 5
        static let deltaLengthByteArray: Int32 = 6
        static let deltaByteArray: Int32 = 7
        static let rleDictionary: Int32 = 8
        static let byteStreamSplit: Int32 = 9

        static func name(_ encoding: Int32) -> String {
            let names = [
                "PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
                "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT",
            ]
            return encoding >= 0 && Int(encoding) < names.count ? names[Int(encoding)] : "encoding \(encoding)"
        }
    }

    let column: ParquetColumn
    let codec: Int32
    let rowCount: Int
    let width: Int
    let isByteArray: Bool

    // Output.
    let values: RawBuffer?
    let present: RawBuffer?
    let bytes: RawBuffer?
    let offsets: RawBuffer?
    var byteCount = 0
    var nullCount = 0
    var row = 0

    // The dictionary page's values.
    var dictionary: RawBuffer?
    var dictionaryEnds: RawBuffer?
    var dictionaryCount = 0

    // Scratch, reused across pages.
    let page: RawBuffer
    let levels: RawBuffer
    let staging: RawBuffer
    let ends: RawBuffer
    let integers: RawBuffer
    let indices: RawBuffer

    init(column: ParquetColumn, codec: Int32, rowCount: Int) throws(ParquetError) {
        self.column = column
        self.codec = codec
        self.rowCount = rowCount
        width = column.width
        isByteArray = column.physicalType == .byteArray
        let (slotBytes, overflow) = rowCount.multipliedReportingOverflow(by: Swift.max(width, 8))
        guard !overflow else { throw ParquetError(.corruptMetadata, "the row group claims \(rowCount) rows") }
        values = isByteArray ? nil : try RawBuffer(capacity: slotBytes)
        present = column.isOptional ? try RawBuffer(capacity: rowCount) : nil
        bytes = isByteArray ? try RawBuffer(capacity: 4096) : nil
        offsets = isByteArray ? try RawBuffer(capacity: (rowCount + 1) * 8) : nil
        offsets?.base.storeBytes(of: 0, as: Int.self)
        page = try RawBuffer(capacity: 0)
        levels = try RawBuffer(capacity: 0)
        staging = try RawBuffer(capacity: 0)
        ends = try RawBuffer(capacity: 0)
        integers = try RawBuffer(capacity: 0)
        indices = try RawBuffer(capacity: 0)
    }

    /// Decodes every page of `chunk`, which starts at `fileOffset` in the file.
    mutating func decode(_ chunk: UnsafeRawBufferPointer, fileOffset: Int) throws(ParquetError) {
        var position = 0
        while row < rowCount {
            guard position < chunk.count else {
                throw ParquetError(
                    .corruptPage, "the column chunk ends after \(row) of \(rowCount) values (the file is damaged or truncated)",
                    offset: fileOffset + position)
            }
            var reader = ThriftCompactReader(chunk, position: position, fileOffset: fileOffset)
            let header = try PageHeader(&reader)
            position = reader.position
            let compressed = Int(header.compressedSize)
            guard compressed >= 0, header.uncompressedSize >= 0, compressed <= chunk.count - position else {
                throw ParquetError(
                    .corruptPage,
                    "a page header claims \(compressed) compressed bytes, only \(chunk.count - position) remain in the column chunk "
                        + "(the file is damaged)", offset: fileOffset + position)
            }
            let body = UnsafeRawBufferPointer(rebasing: chunk[position..<(position + compressed)])
            let pageOffset = fileOffset + position
            position += compressed
            do {
                switch header.kind {
                case PageHeader.Kind.dictionary.rawValue: try readDictionaryPage(header, body)
                case PageHeader.Kind.dataV1.rawValue: try readDataPageV1(header, body)
                case PageHeader.Kind.dataV2.rawValue: try readDataPageV2(header, body)
                default: continue  // index pages and future page types carry no values
                }
            } catch {
                var located = error
                if located.offset == nil { located.offset = pageOffset }
                throw located
            }
        }
    }

    /// The decoded values.
    func finish() throws(ParquetError) -> ParquetColumnData {
        if case .decimal = column.logicalType, isByteArray, let offsets {
            let ends = offsets.base.assumingMemoryBound(to: Int.self)
            for index in 0..<rowCount where ends[index + 1] - ends[index] > 16 {
                throw ParquetError(
                    .unsupported, "row \(index) holds a decimal of \(ends[index + 1] - ends[index]) bytes (at most 16 are supported)")
            }
        }
        return ParquetColumnData(
            column: column, rowCount: rowCount, values: values, present: nullCount > 0 ? present : nil, bytes: bytes, offsets: offsets)
    }

    // MARK: - Pages

    private mutating func readDictionaryPage(_ header: PageHeader, _ body: UnsafeRawBufferPointer) throws(ParquetError) {
        guard header.encoding == Encoding.plain || header.encoding == Encoding.plainDictionary else {
            throw unsupportedEncoding(header.encoding, "dictionary page")
        }
        let data = try decompress(body, size: Int(header.uncompressedSize))
        let count = Int(header.valueCount)
        guard count >= 0 else { throw ParquetError(.corruptPage, "the dictionary page claims \(count) values") }
        if isByteArray {
            let bytes = try RawBuffer(capacity: data.count)
            let ends = try RawBuffer(capacity: count * 8)
            var byteCount = 0
            try PlainDecoders.byteArrays(data, count: count, bytes: bytes, byteCount: &byteCount, ends: ends)
            dictionary = bytes
            dictionaryEnds = ends
        } else {
            guard count <= data.count else {
                throw ParquetError(.corruptPage, "the dictionary page claims \(count) values in \(data.count) bytes")
            }
            let values = try RawBuffer(capacity: count * width)
            if column.physicalType == .boolean {
                try PlainDecoders.booleans(data, count: count, into: values.base.assumingMemoryBound(to: UInt8.self))
            } else {
                try PlainDecoders.fixed(data, width: width, count: count, into: values.base)
            }
            dictionary = values
        }
        dictionaryCount = count
    }

    private mutating func readDataPageV1(_ header: PageHeader, _ body: UnsafeRawBufferPointer) throws(ParquetError) {
        let count = try checkedValueCount(header)
        let data = try decompress(body, size: Int(header.uncompressedSize))
        var valuesStart = 0
        var nonNull = count
        if column.isOptional {
            guard header.definitionLevelEncoding == Encoding.rle else {
                throw unsupportedEncoding(header.definitionLevelEncoding, "definition levels")
            }
            guard data.count >= 4 else { throw ParquetError(.corruptPage, "the definition levels' length is cut off") }
            let length = Int(UInt32(littleEndian: data.loadUnaligned(as: UInt32.self)))
            guard length <= data.count - 4 else {
                throw ParquetError(.corruptPage, "the definition levels claim \(length) bytes, the page has \(data.count - 4)")
            }
            nonNull = try readLevels(UnsafeRawBufferPointer(rebasing: data[4..<(4 + length)]), count: count)
            valuesStart = 4 + length
        }
        try readValues(header.encoding, UnsafeRawBufferPointer(rebasing: data[valuesStart...]), count: count, nonNull: nonNull)
    }

    private mutating func readDataPageV2(_ header: PageHeader, _ body: UnsafeRawBufferPointer) throws(ParquetError) {
        let count = try checkedValueCount(header)
        let repetitionLength = Int(header.repetitionLevelsLength)
        let definitionLength = Int(header.definitionLevelsLength)
        let levelsLength = repetitionLength + definitionLength
        guard repetitionLength >= 0, definitionLength >= 0, levelsLength <= body.count, levelsLength <= Int(header.uncompressedSize) else {
            throw ParquetError(
                .corruptPage, "the levels claim \(repetitionLength) + \(definitionLength) bytes of a \(body.count)-byte page")
        }
        var nonNull = count
        if column.isOptional {
            let levelBytes = UnsafeRawBufferPointer(rebasing: body[repetitionLength..<levelsLength])
            nonNull = try readLevels(levelBytes, count: count)
            guard count - nonNull == Int(header.nullCount) else {
                throw ParquetError(
                    .corruptPage, "the page header counts \(header.nullCount) nulls, the definition levels \(count - nonNull)")
            }
        }
        let rest = UnsafeRawBufferPointer(rebasing: body[levelsLength...])
        let size = Int(header.uncompressedSize) - levelsLength
        let data = header.isCompressed ? try decompress(rest, size: size) : try stored(rest, size: size)
        try readValues(header.encoding, data, count: count, nonNull: nonNull)
    }

    private func checkedValueCount(_ header: PageHeader) throws(ParquetError) -> Int {
        let count = Int(header.valueCount)
        guard count >= 0, count <= rowCount - row else {
            throw ParquetError(
                .corruptPage,
                "a data page claims \(count) values, \(rowCount - row) of the row group's \(rowCount) are left (the file is damaged)")
        }
        return count
    }

    /// Decompresses a page body into the page scratch (no copy when it is not compressed).
    private func decompress(_ body: UnsafeRawBufferPointer, size: Int) throws(ParquetError) -> UnsafeRawBufferPointer {
        if codec == PageDecompressor.uncompressed { return try stored(body, size: size) }
        try page.reserve(size)
        let output = UnsafeMutableRawBufferPointer(start: page.base, count: size)
        try PageDecompressor.decompress(body, codec: codec, into: output)
        return UnsafeRawBufferPointer(output)
    }

    private func stored(_ body: UnsafeRawBufferPointer, size: Int) throws(ParquetError) -> UnsafeRawBufferPointer {
        guard body.count == size else {
            throw ParquetError(
                .corruptPage, "an uncompressed page holds \(body.count) bytes, its header says \(size) (the file is damaged)")
        }
        return body
    }

    /// Decodes `count` definition levels (0 = null, 1 = value) into the levels scratch; returns the values.
    private mutating func readLevels(_ data: UnsafeRawBufferPointer, count: Int) throws(ParquetError) -> Int {
        try levels.reserve(count * 4)
        let output = levels.base.assumingMemoryBound(to: UInt32.self)
        try RLEHybridDecoder.decode(data, bitWidth: 1, count: count, into: output)
        var nonNull = 0
        var invalid: UInt32 = 0
        for index in 0..<count {
            let level = output[index]
            invalid |= level & ~1
            nonNull &+= Int(level & 1)
        }
        guard invalid == 0 else { throw ParquetError(.corruptPage, "a definition level above 1 in a flat column") }
        return nonNull
    }

    // MARK: - Values

    private mutating func readValues(_ encoding: Int32, _ data: UnsafeRawBufferPointer, count: Int, nonNull: Int) throws(ParquetError) {
        if isByteArray {
            try readByteArrays(encoding, data, count: count, nonNull: nonNull)
        } else {
            try readFixed(encoding, data, count: count, nonNull: nonNull)
        }
        row += count
    }

    private mutating func readFixed(_ encoding: Int32, _ data: UnsafeRawBufferPointer, count: Int, nonNull: Int) throws(ParquetError) {
        guard let values else { return }
        let dense = nonNull == count
        let target: UnsafeMutableRawPointer
        if dense {
            target = values.base + row * width
        } else {
            try staging.reserve(nonNull * width)
            target = staging.base
        }
        switch encoding {
        case Encoding.plain:
            if column.physicalType == .boolean {
                try PlainDecoders.booleans(data, count: nonNull, into: target.assumingMemoryBound(to: UInt8.self))
            } else {
                try PlainDecoders.fixed(data, width: width, count: nonNull, into: target)
            }
        case Encoding.rle where column.physicalType == .boolean:
            guard data.count >= 4 else { throw ParquetError(.corruptPage, "the RLE booleans' length is cut off") }
            let length = Int(UInt32(littleEndian: data.loadUnaligned(as: UInt32.self)))
            guard length <= data.count - 4 else {
                throw ParquetError(.corruptPage, "the RLE booleans claim \(length) bytes, the page has \(data.count - 4)")
            }
            try integers.reserve(nonNull * 4)
            let decoded = integers.base.assumingMemoryBound(to: UInt32.self)
            try RLEHybridDecoder.decode(
                UnsafeRawBufferPointer(rebasing: data[4..<(4 + length)]), bitWidth: 1, count: nonNull, into: decoded)
            let output = target.assumingMemoryBound(to: UInt8.self)
            for index in 0..<nonNull { output[index] = UInt8(truncatingIfNeeded: decoded[index] & 1) }
        case Encoding.plainDictionary, Encoding.rleDictionary:
            guard let dictionary else { throw ParquetError(.corruptPage, "a dictionary-encoded page comes without a dictionary page") }
            let decodedIndices = try readIndices(data, count: nonNull)
            try PlainDecoders.gather(
                dictionary: dictionary.base, dictionaryCount: dictionaryCount, width: width, indices: decodedIndices, count: nonNull,
                into: target)
        case Encoding.deltaBinaryPacked where column.physicalType == .int32 || column.physicalType == .int64:
            try integers.reserve(nonNull * 8)
            let decoded = integers.base.assumingMemoryBound(to: Int64.self)
            try DeltaDecoders.decodeIntegers(data, count: nonNull, into: decoded)
            if width == 8 {
                target.copyMemory(from: decoded, byteCount: nonNull * 8)
            } else {
                let output = target.assumingMemoryBound(to: Int32.self)
                for index in 0..<nonNull { output[index] = Int32(truncatingIfNeeded: decoded[index]) }
            }
        case Encoding.byteStreamSplit where column.physicalType != .boolean:
            try PlainDecoders.byteStreamSplit(data, width: width, count: nonNull, into: target)
        default:
            throw unsupportedEncoding(encoding, "values")
        }
        if dense {
            if let present { memset(present.base + row, 1, count) }
        } else {
            scatter(count: count)
        }
    }

    /// Spreads the staged non-null values over the page's rows; null rows get zeros.
    private mutating func scatter(count: Int) {
        guard let values, let present else { return }
        let flags = levels.base.assumingMemoryBound(to: UInt32.self)
        let mask = present.base + row
        for index in 0..<count { mask.storeBytes(of: UInt8(truncatingIfNeeded: flags[index]), toByteOffset: index, as: UInt8.self) }
        var source = 0
        switch width {
        case 8:
            let from = staging.base.assumingMemoryBound(to: UInt64.self)
            let to = (values.base + row * 8).assumingMemoryBound(to: UInt64.self)
            for index in 0..<count {
                let has = flags[index] != 0
                to[index] = has ? from[source] : 0
                source &+= has ? 1 : 0
            }
        case 4:
            let from = staging.base.assumingMemoryBound(to: UInt32.self)
            let to = (values.base + row * 4).assumingMemoryBound(to: UInt32.self)
            for index in 0..<count {
                let has = flags[index] != 0
                to[index] = has ? from[source] : 0
                source &+= has ? 1 : 0
            }
        default:
            for index in 0..<count {
                let to = values.base + (row + index) * width
                if flags[index] != 0 {
                    memcpy(to, staging.base + source * width, width)
                    source += 1
                } else {
                    memset(to, 0, width)
                }
            }
        }
        nullCount += count - source
    }

    private mutating func readByteArrays(_ encoding: Int32, _ data: UnsafeRawBufferPointer, count: Int, nonNull: Int) throws(ParquetError) {
        guard let bytes, let offsets else { return }
        let first = byteCount
        switch encoding {
        case Encoding.plain:
            try PlainDecoders.byteArrays(data, count: nonNull, bytes: bytes, byteCount: &byteCount, ends: ends)
        case Encoding.plainDictionary, Encoding.rleDictionary:
            guard let dictionary, let dictionaryEnds else {
                throw ParquetError(.corruptPage, "a dictionary-encoded page comes without a dictionary page")
            }
            let decodedIndices = try readIndices(data, count: nonNull)
            try PlainDecoders.checkIndices(decodedIndices, count: nonNull, dictionaryCount: dictionaryCount)
            try ends.reserve(nonNull * 8)
            let endValues = ends.base.assumingMemoryBound(to: Int.self)
            let dictionaryOffsets = dictionaryEnds.base.assumingMemoryBound(to: Int.self)
            for index in 0..<nonNull {
                let entry = Int(decodedIndices[index])
                let start = entry == 0 ? 0 : dictionaryOffsets[entry - 1]
                let length = dictionaryOffsets[entry] - start
                try bytes.reserve(byteCount + length)
                if length > 0 { memcpy(bytes.base + byteCount, dictionary.base + start, length) }
                byteCount += length
                endValues[index] = byteCount
            }
        case Encoding.deltaLengthByteArray:
            try DeltaDecoders.decodeLengthByteArrays(
                data, count: nonNull, bytes: bytes, byteCount: &byteCount, ends: ends, lengths: integers)
        case Encoding.deltaByteArray:
            try DeltaDecoders.decodeByteArrays(data, count: nonNull, bytes: bytes, byteCount: &byteCount, ends: ends, lengths: integers)
        default:
            throw unsupportedEncoding(encoding, "values")
        }
        // Row offsets: a null row is an empty slice at the previous end.
        let endValues = ends.base.assumingMemoryBound(to: Int.self)
        let rowEnds = offsets.base.assumingMemoryBound(to: Int.self) + row + 1
        if nonNull == count {
            for index in 0..<count { rowEnds[index] = endValues[index] }
            if let present { memset(present.base + row, 1, count) }
        } else {
            guard let present else { return }
            let flags = levels.base.assumingMemoryBound(to: UInt32.self)
            var source = 0
            var end = first
            for index in 0..<count {
                let has = flags[index] != 0
                present.base.storeBytes(of: has ? 1 : 0, toByteOffset: row + index, as: UInt8.self)
                if has {
                    end = endValues[source]
                    source += 1
                }
                rowEnds[index] = end
            }
            nullCount += count - nonNull
        }
    }

    /// Dictionary indices: one byte of bit width, then the RLE/bit-packed hybrid.
    private func readIndices(_ data: UnsafeRawBufferPointer, count: Int) throws(ParquetError) -> UnsafePointer<UInt32> {
        try indices.reserve(count * 4)
        let output = indices.base.assumingMemoryBound(to: UInt32.self)
        if count == 0 { return UnsafePointer(output) }
        guard data.count >= 1 else { throw ParquetError(.corruptPage, "the dictionary indices' bit width is missing") }
        try RLEHybridDecoder.decode(UnsafeRawBufferPointer(rebasing: data[1...]), bitWidth: Int(data[0]), count: count, into: output)
        return UnsafePointer(output)
    }

    private func unsupportedEncoding(_ encoding: Int32, _ what: String) -> ParquetError {
        ParquetError(
            .unsupported,
            "\(what) use \(Encoding.name(encoding)), which this reader does not support for \(column.physicalType) "
                + "(rewrite the file with PLAIN or dictionary encoding)")
    }
}
