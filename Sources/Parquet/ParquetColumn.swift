/// One leaf column of a flat Parquet schema: its name, storage and meaning.
public struct ParquetColumn: Sendable, Hashable {
    /// How values are stored (Parquet's physical type).
    public enum PhysicalType: Int32, Sendable, Hashable {
        /// One bit per value.
        case boolean = 0
        /// 32-bit signed integer.
        case int32 = 1
        /// 64-bit signed integer.
        case int64 = 2
        /// 12 bytes: nanoseconds of the day (little-endian Int64), then the Julian day (Int32).
        case int96 = 3
        /// IEEE 754 binary32.
        case float = 4
        /// IEEE 754 binary64.
        case double = 5
        /// Variable-length bytes (strings, binary, decimals).
        case byteArray = 6
        /// `typeLength` bytes per value (decimals, UUIDs).
        case fixedLenByteArray = 7
    }

    /// The resolution of a time or timestamp.
    public enum TimeUnit: Sendable, Hashable {
        /// Thousandths of a second.
        case milliseconds
        /// Millionths of a second.
        case microseconds
        /// Billionths of a second.
        case nanoseconds
    }

    /// What the stored values mean (the logical type, or the legacy converted type).
    public enum LogicalType: Sendable, Hashable {
        /// No annotation: the physical type is the meaning.
        case none
        /// UTF-8 text.
        case string
        /// Days since 1970-01-01 (INT32).
        case date
        /// Time of day in `unit` (INT32 or INT64).
        case time(unit: TimeUnit, isAdjustedToUTC: Bool)
        /// Instant (UTC-adjusted) or local date-time in `unit` since 1970-01-01T00:00:00.
        case timestamp(unit: TimeUnit, isAdjustedToUTC: Bool)
        /// Unscaled integer × 10^-scale (INT32, INT64, FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY,
        /// big-endian two's complement for the byte forms).
        case decimal(precision: Int, scale: Int)
        /// An integer of `bitWidth` bits; unsigned ones are stored in the signed physical type.
        case integer(bitWidth: Int, isSigned: Bool)
        /// Another annotation (JSON, ENUM, UUID, …): read as the physical type.
        case other
    }

    /// The column's name (the leaf's name in the schema).
    public let name: String
    /// The position among the leaf columns (0-based).
    public let index: Int
    /// How values are stored.
    public let physicalType: PhysicalType
    /// What the values mean.
    public let logicalType: LogicalType
    /// Whether the column may hold nulls (OPTIONAL) or not (REQUIRED).
    public let isOptional: Bool
    /// The byte width of FIXED_LEN_BYTE_ARRAY values; 12 for INT96; 0 otherwise.
    public let typeLength: Int

    /// Whether `ParquetColumnData.doubleValue` and `copyFloats` give numbers for this column:
    /// booleans, integers, floats and decimals (not text, binary, dates, times, timestamps).
    public var isNumeric: Bool {
        switch logicalType {
        case .date, .time, .timestamp, .string: return false
        case .decimal: return true
        case .none, .integer, .other:
            switch physicalType {
            case .boolean, .int32, .int64, .float, .double: return true
            case .int96, .byteArray, .fixedLenByteArray: return false
            }
        }
    }

    /// Bytes per value in the dense row storage (0 for BYTE_ARRAY).
    var width: Int {
        switch physicalType {
        case .boolean: return 1
        case .int32, .float: return 4
        case .int64, .double: return 8
        case .int96: return 12
        case .byteArray: return 0
        case .fixedLenByteArray: return typeLength
        }
    }

    init(
        name: String, index: Int, physicalType: PhysicalType, logicalType: LogicalType, isOptional: Bool, typeLength: Int
    ) {
        self.name = name
        self.index = index
        self.physicalType = physicalType
        self.logicalType = logicalType
        self.isOptional = isOptional
        self.typeLength = typeLength
    }
}

extension ParquetColumn {
    /// The leaf columns of a flat schema (a root whose children are all primitive REQUIRED or
    /// OPTIONAL leaves); anything nested is refused with the column's name.
    static func flatten(_ schema: [SchemaElement]) throws(ParquetError) -> [ParquetColumn] {
        guard let root = schema.first else { throw ParquetError(.corruptMetadata, "the schema is empty") }
        let childCount = Int(root.childCount ?? 0)
        guard childCount > 0 else { throw ParquetError(.corruptMetadata, "the schema has no columns") }
        var columns: [ParquetColumn] = []
        var position = 1
        for index in 0..<childCount {
            guard position < schema.count else {
                throw ParquetError(.corruptMetadata, "the schema's root claims \(childCount) columns, only \(index) are described")
            }
            let element = schema[position]
            if let children = element.childCount, children > 0 || element.physicalType == nil {
                throw ParquetError(
                    .unsupported,
                    "column \"\(element.name)\" is a nested group (list, map or struct); only flat schemas are supported: "
                        + "flatten or drop it before writing the file")
            }
            if element.repetition == 2 {
                throw ParquetError(
                    .unsupported,
                    "column \"\(element.name)\" is REPEATED (a list); only REQUIRED and OPTIONAL columns are supported: "
                        + "flatten or drop it before writing the file")
            }
            columns.append(try column(element, index: index))
            position += 1
        }
        guard position == schema.count else {
            throw ParquetError(
                .corruptMetadata, "the schema has \(schema.count - position) elements beyond its root's \(childCount) columns")
        }
        return columns
    }

    private static func column(_ element: SchemaElement, index: Int) throws(ParquetError) -> ParquetColumn {
        guard let raw = element.physicalType, let physical = PhysicalType(rawValue: raw) else {
            throw ParquetError(.corruptMetadata, "column \"\(element.name)\" has unknown physical type \(element.physicalType ?? -1)")
        }
        var typeLength = 0
        if physical == .fixedLenByteArray {
            guard let length = element.typeLength, length > 0, length <= 1 << 20 else {
                throw ParquetError(
                    .corruptMetadata, "column \"\(element.name)\" is FIXED_LEN_BYTE_ARRAY with type length \(element.typeLength ?? 0)")
            }
            typeLength = Int(length)
        } else if physical == .int96 {
            typeLength = 12
        }
        let logical = logicalType(element)
        if case .decimal(let precision, let scale) = logical {
            let storable = physical == .int32 || physical == .int64 || physical == .byteArray || physical == .fixedLenByteArray
            guard storable, scale >= 0, precision >= 1, scale <= precision, precision <= 38, typeLength <= 16 else {
                throw ParquetError(
                    .unsupported,
                    "column \"\(element.name)\" is DECIMAL(\(precision), \(scale)) on \(physical); supported: precision up to 38 "
                        + "on INT32, INT64, BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY of up to 16 bytes")
            }
        }
        return ParquetColumn(
            name: element.name, index: index, physicalType: physical, logicalType: logical,
            isOptional: element.repetition == 1, typeLength: typeLength)
    }

    /// The logical type, or the converted type of files written before LogicalType existed.
    private static func logicalType(_ element: SchemaElement) -> LogicalType {
        if let logical = element.logicalType {
            switch logical {
            case .string, .json, .enumeration: return element.physicalType == PhysicalType.byteArray.rawValue ? .string : .other
            case .decimal(let scale, let precision): return .decimal(precision: Int(precision), scale: Int(scale))
            case .date: return .date
            case .time(let utc, let unit): return .time(unit: unit, isAdjustedToUTC: utc)
            case .timestamp(let utc, let unit): return .timestamp(unit: unit, isAdjustedToUTC: utc)
            case .integer(let bitWidth, let signed): return .integer(bitWidth: Int(bitWidth), isSigned: signed)
            case .uuid, .other: return .other
            }
        }
        switch element.convertedType {
        case 0?, 4?, 19?: return element.physicalType == PhysicalType.byteArray.rawValue ? .string : .other  // UTF8, ENUM, JSON
        case 5?: return .decimal(precision: Int(element.precision ?? 0), scale: Int(element.scale ?? 0))
        case 6?: return .date
        case 7?: return .time(unit: .milliseconds, isAdjustedToUTC: true)
        case 8?: return .time(unit: .microseconds, isAdjustedToUTC: true)
        case 9?: return .timestamp(unit: .milliseconds, isAdjustedToUTC: true)
        case 10?: return .timestamp(unit: .microseconds, isAdjustedToUTC: true)
        case 11?: return .integer(bitWidth: 8, isSigned: false)
        case 12?: return .integer(bitWidth: 16, isSigned: false)
        case 13?: return .integer(bitWidth: 32, isSigned: false)
        case 14?: return .integer(bitWidth: 64, isSigned: false)
        case 15?: return .integer(bitWidth: 8, isSigned: true)
        case 16?: return .integer(bitWidth: 16, isSigned: true)
        case 17?: return .integer(bitWidth: 32, isSigned: true)
        case 18?: return .integer(bitWidth: 64, isSigned: true)
        default: return .none
        }
    }
}
