/// Reads the Thrift compact protocol (the encoding of Parquet's footer and page headers).
///
/// Only what the metadata needs: varints, zigzag integers, binary, field and list headers, and
/// skipping of anything unknown. Every length is checked against the bytes left, and nesting is
/// bounded, so a lying or malicious footer gives a typed error, never a crash or a huge
/// allocation.
struct ThriftCompactReader {
    /// Compact-protocol type ids.
    enum FieldType {
        static let stop: UInt8 = 0
        static let boolTrue: UInt8 = 1
        static let boolFalse: UInt8 = 2
        static let byte: UInt8 = 3
        static let i16: UInt8 = 4
        static let i32: UInt8 = 5
        static let i64: UInt8 = 6
        static let double: UInt8 = 7
        static let binary: UInt8 = 8
        static let list: UInt8 = 9
        static let set: UInt8 = 10
        static let map: UInt8 = 11
        static let structure: UInt8 = 12
    }

    /// Deeper nesting than this is refused (Parquet's own structs nest about 5 deep).
    static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    /// The next byte to read, relative to `bytes`.
    private(set) var position: Int
    /// The file offset of `bytes[0]`, for error messages.
    private let fileOffset: Int
    private var depth = 0

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0, fileOffset: Int) {
        self.bytes = bytes
        self.position = position
        self.fileOffset = fileOffset
    }

    var remaining: Int { bytes.count - position }

    func error(_ message: String) -> ParquetError {
        ParquetError(
            .corruptMetadata, "malformed Thrift metadata: \(message) (the file is damaged or not written by a Parquet writer)",
            offset: fileOffset + position)
    }

    mutating func readByte() throws(ParquetError) -> UInt8 {
        guard position < bytes.count else { throw error("it ends in the middle of a value") }
        let byte = bytes[position]
        position += 1
        return byte
    }

    mutating func readVarint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            guard shift < 64 else { throw error("a varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func readZigzag() throws(ParquetError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// An integer field of any integer type (byte, i16, i32, i64).
    mutating func readInteger(_ type: UInt8) throws(ParquetError) -> Int64 {
        switch type {
        case FieldType.byte: return Int64(Int8(bitPattern: try readByte()))
        case FieldType.i16, FieldType.i32, FieldType.i64: return try readZigzag()
        default: throw error("an integer field has type \(type)")
        }
    }

    /// An i32 field, refusing values outside Int32.
    mutating func readInt32(_ type: UInt8) throws(ParquetError) -> Int32 {
        let value = try readInteger(type)
        guard let narrow = Int32(exactly: value) else { throw error("\(value) does not fit an i32 field") }
        return narrow
    }

    /// A boolean field: compact protocol stores the value in the field type.
    func readBool(_ type: UInt8) throws(ParquetError) -> Bool {
        switch type {
        case FieldType.boolTrue: return true
        case FieldType.boolFalse: return false
        default: throw error("a boolean field has type \(type)")
        }
    }

    /// A binary field's bytes, as a range of `bytes` (nothing is copied).
    mutating func readBinaryRange() throws(ParquetError) -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(remaining) else { throw error("a string claims \(length) bytes, only \(remaining) remain") }
        let start = position
        position += Int(length)
        return start..<position
    }

    mutating func readString(_ type: UInt8) throws(ParquetError) -> String {
        guard type == FieldType.binary else { throw error("a string field has type \(type)") }
        let range = try readBinaryRange()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The next field's type and id, or nil at the struct's end.
    mutating func readFieldHeader(previousID: inout Int16) throws(ParquetError) -> (type: UInt8, id: Int16)? {
        let header = try readByte()
        let type = header & 0x0F
        if type == FieldType.stop { return nil }
        let delta = header >> 4
        if delta == 0 {
            let id = try readZigzag()
            guard let narrow = Int16(exactly: id) else { throw error("field id \(id)") }
            previousID = narrow
        } else {
            let (next, overflow) = previousID.addingReportingOverflow(Int16(delta))
            guard !overflow else { throw error("field id overflow") }
            previousID = next
        }
        return (type, previousID)
    }

    /// A list or set header: element type and count (each element takes at least one byte,
    /// so a count above the bytes left is a lie).
    mutating func readListHeader(_ type: UInt8) throws(ParquetError) -> (elementType: UInt8, count: Int) {
        guard type == FieldType.list || type == FieldType.set else { throw error("a list field has type \(type)") }
        let header = try readByte()
        var count = UInt64(header >> 4)
        if count == 15 { count = try readVarint() }
        guard count <= UInt64(remaining) else { throw error("a list claims \(count) elements, only \(remaining) bytes remain") }
        return (header & 0x0F, Int(count))
    }

    /// Reads a struct, calling `field` for each field; `field` must consume the value (or call `skip`).
    mutating func readStruct(
        _ field: (inout ThriftCompactReader, _ id: Int16, _ type: UInt8) throws(ParquetError) -> Void
    ) throws(ParquetError) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw error("structs nested more than \(Self.maximumDepth) deep") }
        var previousID: Int16 = 0
        while let (type, id) = try readFieldHeader(previousID: &previousID) {
            try field(&self, id, type)
        }
    }

    /// Skips a value of `type`, including nested structs, lists and maps.
    mutating func skip(_ type: UInt8) throws(ParquetError) {
        switch type {
        case FieldType.boolTrue, FieldType.boolFalse: return
        case FieldType.byte: _ = try readByte()
        case FieldType.i16, FieldType.i32, FieldType.i64: _ = try readVarint()
        case FieldType.double:
            guard remaining >= 8 else { throw error("it ends in the middle of a double") }
            position += 8
        case FieldType.binary: _ = try readBinaryRange()
        case FieldType.structure: try readStruct { (reader, _, type) throws(ParquetError) in try reader.skip(type) }
        case FieldType.list, FieldType.set:
            let (elementType, count) = try readListHeader(type)
            try nested { (reader) throws(ParquetError) in
                for _ in 0..<count { try reader.skipElement(elementType) }
            }
        case FieldType.map:
            let count = try readVarint()
            guard count <= UInt64(remaining) else { throw error("a map claims \(count) entries, only \(remaining) bytes remain") }
            if count == 0 { return }
            let types = try readByte()
            try nested { (reader) throws(ParquetError) in
                for _ in 0..<Int(count) {
                    try reader.skipElement(types >> 4)
                    try reader.skipElement(types & 0x0F)
                }
            }
        default: throw error("unknown field type \(type)")
        }
    }

    /// Skips a list, set or map element: booleans there take a byte of their own.
    mutating func skipElement(_ type: UInt8) throws(ParquetError) {
        if type == FieldType.boolTrue || type == FieldType.boolFalse {
            _ = try readByte()
        } else {
            try skip(type)
        }
    }

    private mutating func nested(_ body: (inout ThriftCompactReader) throws(ParquetError) -> Void) throws(ParquetError) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw error("values nested more than \(Self.maximumDepth) deep") }
        try body(&self)
    }
}
