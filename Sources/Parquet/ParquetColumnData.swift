/// The decoded values of one column in one row group, dense by row: row access is O(1), null
/// rows hold a zero placeholder, and text lives in one byte buffer with per-row offsets.
public struct ParquetColumnData: Sendable {
    /// How the values are read, decided once per column (not per value).
    enum Kind: Sendable {
        case boolean, int32, int64, uint32, uint64, float, double
        case decimal32(scale: Int), decimal64(scale: Int), decimalBytes(scale: Int)
        case date
        case timestamp(perSecond: Int64, digits: Int, utc: Bool)
        case time(perSecond: Int64, digits: Int)
        case int96
        case bytes
    }

    /// The column these values belong to.
    public let column: ParquetColumn
    /// The rows in the row group.
    public let rowCount: Int
    /// How many rows are null.
    public let nullCount: Int
    let kind: Kind
    /// `rowCount × width` bytes for fixed-width types.
    let values: RawBuffer?
    /// One byte per row (1 = value, 0 = null); nil when no row is null.
    let present: RawBuffer?
    /// BYTE_ARRAY values back to back, with `rowCount + 1` Int offsets.
    let bytes: RawBuffer?
    let offsets: RawBuffer?

    init(column: ParquetColumn, rowCount: Int, values: RawBuffer?, present: RawBuffer?, bytes: RawBuffer?, offsets: RawBuffer?) {
        self.column = column
        self.rowCount = rowCount
        self.values = values
        self.present = present
        self.bytes = bytes
        self.offsets = offsets
        var nulls = 0
        if let present {
            for row in 0..<rowCount where present.base.load(fromByteOffset: row, as: UInt8.self) == 0 { nulls += 1 }
        }
        nullCount = nulls
        kind = Self.kind(of: column)
    }

    private static func kind(of column: ParquetColumn) -> Kind {
        func perSecond(_ unit: ParquetColumn.TimeUnit) -> (Int64, Int) {
            switch unit {
            case .milliseconds: return (1000, 3)
            case .microseconds: return (1_000_000, 6)
            case .nanoseconds: return (1_000_000_000, 9)
            }
        }
        switch (column.physicalType, column.logicalType) {
        case (.int32, .decimal(_, let scale)): return .decimal32(scale: scale)
        case (.int64, .decimal(_, let scale)): return .decimal64(scale: scale)
        case (.byteArray, .decimal(_, let scale)), (.fixedLenByteArray, .decimal(_, let scale)): return .decimalBytes(scale: scale)
        case (.int32, .date): return .date
        case (.int32, .timestamp(let unit, let utc)), (.int64, .timestamp(let unit, let utc)):
            let (count, digits) = perSecond(unit)
            return .timestamp(perSecond: count, digits: digits, utc: utc)
        case (.int32, .time(let unit, _)), (.int64, .time(let unit, _)):
            let (count, digits) = perSecond(unit)
            return .time(perSecond: count, digits: digits)
        case (.int32, .integer(_, false)): return .uint32
        case (.int64, .integer(_, false)): return .uint64
        case (.boolean, _): return .boolean
        case (.int32, _): return .int32
        case (.int64, _): return .int64
        case (.float, _): return .float
        case (.double, _): return .double
        case (.int96, _): return .int96
        case (.byteArray, _), (.fixedLenByteArray, _): return .bytes
        }
    }

    /// Whether `row` is null.
    @inline(__always)
    public func isNull(_ row: Int) -> Bool {
        guard let present else { return false }
        return present.base.load(fromByteOffset: row, as: UInt8.self) == 0
    }

    @inline(__always)
    private func load<T>(_ row: Int, as type: T.Type) -> T {
        values!.base.loadUnaligned(fromByteOffset: row * MemoryLayout<T>.size, as: T.self)
    }

    /// Calls `body` with the bytes of `row`: a BYTE_ARRAY value, a FIXED_LEN_BYTE_ARRAY value,
    /// or the stored bytes of any fixed-width type (empty for a null BYTE_ARRAY row).
    public func withBytes<Result, Failure: Error>(
        _ row: Int, _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        if let bytes, let offsets {
            let ends = offsets.base.assumingMemoryBound(to: Int.self)
            return try body(UnsafeRawBufferPointer(start: bytes.base + ends[row], count: ends[row + 1] - ends[row]))
        }
        let width = column.width
        return try body(UnsafeRawBufferPointer(start: values!.base + row * width, count: width))
    }

    /// The text of a BYTE_ARRAY row (invalid UTF-8 repaired); nil for null rows.
    public func string(_ row: Int) -> String? {
        if isNull(row) { return nil }
        return withBytes(row) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value as a number: integers, floats, booleans (0 or 1) and decimals (scaled); nil for
    /// null rows and for columns that are not numeric (text, binary, dates, times, timestamps, INT96).
    public func doubleValue(_ row: Int) -> Double? {
        if isNull(row) { return nil }
        switch kind {
        case .boolean: return Double(load(row, as: UInt8.self))
        case .int32: return Double(load(row, as: Int32.self))
        case .int64: return Double(load(row, as: Int64.self))
        case .uint32: return Double(load(row, as: UInt32.self))
        case .uint64: return Double(load(row, as: UInt64.self))
        case .float: return Double(load(row, as: Float.self))
        case .double: return load(row, as: Double.self)
        case .decimal32(let scale): return Self.decimal(Int128(load(row, as: Int32.self)), scale)
        case .decimal64(let scale): return Self.decimal(Int128(load(row, as: Int64.self)), scale)
        case .decimalBytes(let scale): return Self.decimal(withBytes(row) { ParquetText.bigEndianInteger($0) }, scale)
        case .date, .timestamp, .time, .int96, .bytes: return nil
        }
    }

    /// The decimal's nearest Double: one exact division when both operands are exact doubles,
    /// else the text parsed (correctly rounded, and rare: more than 15 significant digits).
    @inline(__always)
    private static func decimal(_ unscaled: Int128, _ scale: Int) -> Double {
        if unscaled.magnitude <= 1 << 53 && scale <= 22 { return scaled(Double(unscaled), scale) }
        var text: [UInt8] = []
        ParquetText.appendDecimal(unscaled, scale: scale, to: &text)
        return Double(String(decoding: text, as: UTF8.self)) ?? scaled(Double(unscaled), scale)
    }

    /// The value of a plain integer column (INT32 or INT64, signed, no date, time, timestamp or
    /// decimal meaning); nil for null rows and other columns.
    @inline(__always)
    public func integerValue(_ row: Int) -> Int64? {
        if isNull(row) { return nil }
        switch kind {
        case .int32: return Int64(load(row, as: Int32.self))
        case .int64: return load(row, as: Int64.self)
        default: return nil
        }
    }

    @inline(__always)
    private static func scaled(_ unscaled: Double, _ scale: Int) -> Double {
        // Dividing by an exact power of ten rounds once (exact powers up to 10^22).
        scale <= 22 ? unscaled / powersOfTen[scale] : unscaled / pow10(scale)
    }

    private static let powersOfTen: [Double] = (0...22).map { pow10($0) }

    private static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// Appends the text of `row` per the text rules of docs/PARQUET.md; a null row appends nothing.
    public func appendText(_ row: Int, to output: inout [UInt8]) {
        if isNull(row) { return }
        switch kind {
        case .boolean: output.append(contentsOf: load(row, as: UInt8.self) != 0 ? "true".utf8 : "false".utf8)
        case .int32: ParquetText.appendInteger(load(row, as: Int32.self), to: &output)
        case .int64: ParquetText.appendInteger(load(row, as: Int64.self), to: &output)
        case .uint32: ParquetText.appendInteger(load(row, as: UInt32.self), to: &output)
        case .uint64: ParquetText.appendInteger(load(row, as: UInt64.self), to: &output)
        case .float: ParquetText.appendFloatingPoint(load(row, as: Float.self), to: &output)
        case .double: ParquetText.appendFloatingPoint(load(row, as: Double.self), to: &output)
        case .decimal32(let scale): ParquetText.appendDecimal(Int128(load(row, as: Int32.self)), scale: scale, to: &output)
        case .decimal64(let scale): ParquetText.appendDecimal(Int128(load(row, as: Int64.self)), scale: scale, to: &output)
        case .decimalBytes(let scale):
            ParquetText.appendDecimal(withBytes(row) { ParquetText.bigEndianInteger($0) }, scale: scale, to: &output)
        case .date: ParquetText.appendDate(days: Int64(load(row, as: Int32.self)), to: &output)
        case .timestamp(let perSecond, let digits, let utc):
            let value = column.physicalType == .int32 ? Int64(load(row, as: Int32.self)) : load(row, as: Int64.self)
            ParquetText.appendTimestamp(value, perSecond: perSecond, digits: digits, utc: utc, to: &output)
        case .time(let perSecond, let digits):
            let value = column.physicalType == .int32 ? Int64(load(row, as: Int32.self)) : load(row, as: Int64.self)
            let seconds = value / perSecond
            ParquetText.appendTimeOfDay(seconds: seconds, fraction: value - seconds * perSecond, digits: digits, to: &output)
        case .int96:
            let base = values!.base + row * 12
            ParquetText.appendInt96(
                nanosecondsOfDay: Int64(littleEndian: base.loadUnaligned(as: Int64.self)),
                julianDay: Int32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: Int32.self)), to: &output)
        case .bytes: withBytes(row) { output.append(contentsOf: $0) }
        }
    }

    /// Appends the text of each of `rows` to `output`, back to back, and each row's end offset in
    /// `output` to `ends`: the text of many rows in one call (a null row's text is empty).
    public func appendTexts(rows: Range<Int>, to output: inout [UInt8], ends: inout [Int]) {
        for row in rows {
            appendText(row, to: &output)
            ends.append(output.count)
        }
    }

    /// Copies `rows` as Float into `destination`, `stride` floats apart (row `rows.lowerBound`
    /// goes to `destination[0]`): FLOAT as is, DOUBLE rounded, integers, booleans and decimals
    /// converted. Null rows are written as NaN and their row numbers appended to `nullRows`.
    /// - Throws: `ParquetError` with code `notNumeric` for text, binary, date, time, timestamp
    ///   and INT96 columns.
    public func copyFloats(
        into destination: UnsafeMutablePointer<Float>, stride: Int, rows: Range<Int>, nullRows: inout [Int]
    ) throws(ParquetError) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= rowCount, "rows \(rows) outside 0..<\(rowCount)")
        switch kind {
        case .float: convert(Float.self, into: destination, stride: stride, rows: rows) { $0 }
        case .double: convert(Double.self, into: destination, stride: stride, rows: rows) { Float($0) }
        case .int32: convert(Int32.self, into: destination, stride: stride, rows: rows) { Float($0) }
        case .int64: convert(Int64.self, into: destination, stride: stride, rows: rows) { Float($0) }
        case .uint32: convert(UInt32.self, into: destination, stride: stride, rows: rows) { Float($0) }
        case .uint64: convert(UInt64.self, into: destination, stride: stride, rows: rows) { Float($0) }
        case .boolean: convert(UInt8.self, into: destination, stride: stride, rows: rows) { Float($0) }
        case .decimal32(let scale):
            convert(Int32.self, into: destination, stride: stride, rows: rows) { Float(Self.scaled(Double($0), scale)) }
        case .decimal64(let scale):
            convert(Int64.self, into: destination, stride: stride, rows: rows) { Float(Self.decimal(Int128($0), scale)) }
        case .decimalBytes:
            for (index, row) in rows.enumerated() { destination[index * stride] = Float(doubleValue(row) ?? 0) }
        case .date, .timestamp, .time, .int96, .bytes:
            throw ParquetError(
                .notNumeric, "column \"\(column.name)\" holds \(column.physicalType) \(column.logicalType) values, not numbers")
        }
        guard let present else { return }
        for (index, row) in rows.enumerated() where present.base.load(fromByteOffset: row, as: UInt8.self) == 0 {
            destination[index * stride] = .nan
            nullRows.append(row)
        }
    }

    /// The same rows as FLOAT values (what `copyFloats` gives), in half the memory of 64-bit
    /// columns: for a column that only feeds a model, whose text is never written. Nulls stay
    /// null. Nil for columns that are not numeric.
    public func narrowedToFloat() -> ParquetColumnData? {
        guard column.isNumeric, let floats = try? RawBuffer(capacity: rowCount * 4) else { return nil }
        var nullRows: [Int] = []
        let target = floats.base.assumingMemoryBound(to: Float.self)
        guard (try? copyFloats(into: target, stride: 1, rows: 0..<rowCount, nullRows: &nullRows)) != nil else { return nil }
        for row in nullRows { target[row] = 0 }
        let narrow = ParquetColumn(
            name: column.name, index: column.index, physicalType: .float, logicalType: .none, isOptional: column.isOptional,
            typeLength: 0)
        return ParquetColumnData(column: narrow, rowCount: rowCount, values: floats, present: present, bytes: nil, offsets: nil)
    }

    @inline(__always)
    private func convert<T>(
        _ type: T.Type, into destination: UnsafeMutablePointer<Float>, stride: Int, rows: Range<Int>, _ transform: (T) -> Float
    ) {
        let source = (values!.base + rows.lowerBound * MemoryLayout<T>.size).assumingMemoryBound(to: T.self)
        let count = rows.count
        if stride == 1 {
            for index in 0..<count { destination[index] = transform(source[index]) }
        } else {
            for index in 0..<count { destination[index * stride] = transform(source[index]) }
        }
    }
}
