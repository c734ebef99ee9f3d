/// The parts of Parquet's Thrift metadata (parquet.thrift) the reader uses; every other field
/// is skipped. Field ids are the spec's.
struct FileMetadata {
    var schema: [SchemaElement] = []
    var rowCount: Int64 = 0
    var rowGroups: [RowGroupMetadata] = []

    init(_ reader: inout ThriftCompactReader) throws(ParquetError) {
        try reader.readStruct { (reader, id, type) throws(ParquetError) in
            switch (id, type) {
            case (2, ThriftCompactReader.FieldType.list):
                let (_, count) = try reader.readListHeader(type)
                for _ in 0..<count { schema.append(try SchemaElement(&reader)) }
            case (3, _): rowCount = try reader.readInteger(type)
            case (4, ThriftCompactReader.FieldType.list):
                let (_, count) = try reader.readListHeader(type)
                for _ in 0..<count { rowGroups.append(try RowGroupMetadata(&reader)) }
            default: try reader.skip(type)
            }
        }
    }
}

/// One node of the schema tree (flattened depth-first in the footer).
struct SchemaElement {
    var physicalType: Int32?
    var typeLength: Int32?
    var repetition: Int32?
    var name = ""
    var childCount: Int32?
    var convertedType: Int32?
    var scale: Int32?
    var precision: Int32?
    var logicalType: LogicalTypeMetadata?

    init(_ reader: inout ThriftCompactReader) throws(ParquetError) {
        try reader.readStruct { (reader, id, type) throws(ParquetError) in
            switch id {
            case 1: physicalType = try reader.readInt32(type)
            case 2: typeLength = try reader.readInt32(type)
            case 3: repetition = try reader.readInt32(type)
            case 4: name = try reader.readString(type)
            case 5: childCount = try reader.readInt32(type)
            case 6: convertedType = try reader.readInt32(type)
            case 7: scale = try reader.readInt32(type)
            case 8: precision = try reader.readInt32(type)
            case 10 where type == ThriftCompactReader.FieldType.structure: logicalType = try LogicalTypeMetadata(&reader)
            default: try reader.skip(type)
            }
        }
    }
}

/// The LogicalType union: which member is set, and the parameters the reader needs.
enum LogicalTypeMetadata {
    case string
    case decimal(scale: Int32, precision: Int32)
    case date
    case time(isAdjustedToUTC: Bool, unit: ParquetColumn.TimeUnit)
    case timestamp(isAdjustedToUTC: Bool, unit: ParquetColumn.TimeUnit)
    case integer(bitWidth: Int8, isSigned: Bool)
    case json
    case enumeration
    case uuid
    case other(Int16)

    init(_ reader: inout ThriftCompactReader) throws(ParquetError) {
        var result = LogicalTypeMetadata.other(0)
        try reader.readStruct { (reader, id, type) throws(ParquetError) in
            switch id {
            case 1: result = .string
            case 4: result = .enumeration
            case 5:
                var scale: Int32 = 0
                var precision: Int32 = 0
                try reader.readStruct { (reader, id, type) throws(ParquetError) in
                    switch id {
                    case 1: scale = try reader.readInt32(type)
                    case 2: precision = try reader.readInt32(type)
                    default: try reader.skip(type)
                    }
                }
                result = .decimal(scale: scale, precision: precision)
                return
            case 6: result = .date
            case 7, 8:
                var utc = false
                var unit = ParquetColumn.TimeUnit.milliseconds
                try reader.readStruct { (reader, field, type) throws(ParquetError) in
                    switch field {
                    case 1: utc = try reader.readBool(type)
                    case 2: unit = try Self.readTimeUnit(&reader)
                    default: try reader.skip(type)
                    }
                }
                result = id == 7 ? .time(isAdjustedToUTC: utc, unit: unit) : .timestamp(isAdjustedToUTC: utc, unit: unit)
                return
            case 10:
                var bitWidth: Int8 = 0
                var signed = true
                try reader.readStruct { (reader, id, type) throws(ParquetError) in
                    switch id {
                    case 1: bitWidth = Int8(truncatingIfNeeded: try reader.readInteger(type))
                    case 2: signed = try reader.readBool(type)
                    default: try reader.skip(type)
                    }
                }
                result = .integer(bitWidth: bitWidth, isSigned: signed)
                return
            case 12: result = .json
            case 14: result = .uuid
            default: result = .other(id)
            }
            try reader.skip(type)
        }
        self = result
    }

    private static func readTimeUnit(_ reader: inout ThriftCompactReader) throws(ParquetError) -> ParquetColumn.TimeUnit {
        var unit = ParquetColumn.TimeUnit.milliseconds
        try reader.readStruct { (reader, id, type) throws(ParquetError) in
            switch id {
            case 1: unit = .milliseconds
            case 2: unit = .microseconds
            case 3: unit = .nanoseconds
            default: break
            }
            try reader.skip(type)
        }
        return unit
    }
}

struct RowGroupMetadata {
    var columns: [ColumnChunkMetadata] = []
    var totalByteSize: Int64 = 0
    var rowCount: Int64 = 0

    init(_ reader: inout ThriftCompactReader) throws(ParquetError) {
        try reader.readStruct { (reader, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, ThriftCompactReader.FieldType.list):
                let (_, count) = try reader.readListHeader(type)
                for _ in 0..<count { columns.append(try ColumnChunkMetadata(&reader)) }
            case (2, _): totalByteSize = try reader.readInteger(type)
            case (3, _): rowCount = try reader.readInteger(type)
            default: try reader.skip(type)
            }
        }
    }
}

/// A ColumnChunk with its ColumnMetaData folded in.
struct ColumnChunkMetadata {
    var filePath: String?
    var hasMetadata = false
    var physicalType: Int32 = -1
    var codec: Int32 = 0
    var valueCount: Int64 = 0
    var totalUncompressedSize: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = 0
    var dictionaryPageOffset: Int64?

    init(_ reader: inout ThriftCompactReader) throws(ParquetError) {
        try reader.readStruct { (reader, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, _): filePath = try reader.readString(type)
            case (3, ThriftCompactReader.FieldType.structure):
                hasMetadata = true
                try reader.readStruct { (reader, id, type) throws(ParquetError) in
                    switch id {
                    case 1: physicalType = try reader.readInt32(type)
                    case 4: codec = try reader.readInt32(type)
                    case 5: valueCount = try reader.readInteger(type)
                    case 6: totalUncompressedSize = try reader.readInteger(type)
                    case 7: totalCompressedSize = try reader.readInteger(type)
                    case 9: dataPageOffset = try reader.readInteger(type)
                    case 11: dictionaryPageOffset = try reader.readInteger(type)
                    default: try reader.skip(type)
                    }
                }
            default: try reader.skip(type)
            }
        }
    }
}

/// A PageHeader with whichever of its data, data v2 or dictionary headers is present.
struct PageHeader {
    enum Kind: Int32 {
        case dataV1 = 0
        case index = 1
        case dictionary = 2
        case dataV2 = 3
    }

    var kind: Int32 = -1
    var uncompressedSize: Int32 = -1
    var compressedSize: Int32 = -1
    var valueCount: Int32 = 0
    var encoding: Int32 = 0
    var definitionLevelEncoding: Int32 = 3
    // Data page v2 only.
    var nullCount: Int32 = 0
    var definitionLevelsLength: Int32 = 0
    var repetitionLevelsLength: Int32 = 0
    var isCompressed = true

    init(_ reader: inout ThriftCompactReader) throws(ParquetError) {
        try reader.readStruct { (reader, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, _): kind = try reader.readInt32(type)
            case (2, _): uncompressedSize = try reader.readInt32(type)
            case (3, _): compressedSize = try reader.readInt32(type)
            case (5, ThriftCompactReader.FieldType.structure):
                try reader.readStruct { (reader, id, type) throws(ParquetError) in
                    switch id {
                    case 1: valueCount = try reader.readInt32(type)
                    case 2: encoding = try reader.readInt32(type)
                    case 3: definitionLevelEncoding = try reader.readInt32(type)
                    default: try reader.skip(type)
                    }
                }
            case (7, ThriftCompactReader.FieldType.structure):
                try reader.readStruct { (reader, id, type) throws(ParquetError) in
                    switch id {
                    case 1: valueCount = try reader.readInt32(type)
                    case 2: encoding = try reader.readInt32(type)
                    default: try reader.skip(type)
                    }
                }
            case (8, ThriftCompactReader.FieldType.structure):
                try reader.readStruct { (reader, id, type) throws(ParquetError) in
                    switch id {
                    case 1: valueCount = try reader.readInt32(type)
                    case 2: nullCount = try reader.readInt32(type)
                    case 4: encoding = try reader.readInt32(type)
                    case 5: definitionLevelsLength = try reader.readInt32(type)
                    case 6: repetitionLevelsLength = try reader.readInt32(type)
                    case 7: isCompressed = try reader.readBool(type)
                    default: try reader.skip(type)
                    }
                }
            default: try reader.skip(type)
            }
        }
    }
}
