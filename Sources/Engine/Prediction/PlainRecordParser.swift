/// The fast path's record parser: one pass over a plain record that notes where each field
/// begins and parses the feature fields straight into a batch row.
///
/// It accepts only the plain record — no quotes, the header's field count, features written as
/// `-?digits[.digits]` with at most 19 digits — and anything else goes to the general path
/// (``CSVRecordScanner`` and ``RecordValidator``), which parses it again with every check.
/// Numbers are exact: Clinger's fast path or Eisel–Lemire, as ``DecimalParser`` does, so both
/// paths give the same bits.
struct PlainRecordParser: ~Copyable {
    /// What a parse found: where the record's newline is (or the end of the bytes), and its id's
    /// value when the id is a canonical integer.
    struct Record {
        var end: Int
        var integerID: UInt64?
    }

    private let columnCount: Int
    private let idColumn: Int
    /// Where each field of the last record starts, plus `recordEnd + 1`.
    private let fieldStarts: UnsafeMutablePointer<Int>
    /// For each column, the feature it feeds (its place in a batch row), or -1. A pointer, as
    /// `fieldStarts`: the record loop reads it once per field, without bounds checks.
    private let featureSlots: UnsafeMutablePointer<Int>

    init(plan: ColumnPlan) {
        columnCount = plan.header.count
        idColumn = plan.idColumn
        fieldStarts = .allocate(capacity: columnCount + 1)
        featureSlots = .allocate(capacity: columnCount)
        featureSlots.initialize(repeating: -1, count: columnCount)
        for (feature, column) in plan.featureColumns.enumerated() { featureSlots[column] = feature }
    }

    deinit {
        fieldStarts.deallocate()
        featureSlots.deallocate()
    }

    /// Parses the record at `start`, its features into `row`; nil for a record the fast path
    /// does not take (then `row` may hold some of its numbers, to be overwritten).
    @inline(__always)
    func parse(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, into row: UnsafeMutablePointer<Float>) -> Record? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var integerID: UInt64?
        var p = start
        // Offsets stay within the chunk (far below Int.max): wrapping arithmetic spares the
        // overflow checks in the loop that runs once per field.
        var column = 0
        while column < columnCount {
            defer { column &+= 1 }
            fieldStarts[column] = p
            let feature = featureSlots[column]
            if feature >= 0 {
                guard let (value, next) = DecimalParser.parsePlainField(bytes, from: p, last: column &+ 1 == columnCount) else {
                    return nil
                }
                row[feature] = value
                p = next
                continue
            }
            if column == idColumn {
                // A canonical integer id is read as it is skipped.
                var value: UInt64 = 0
                let end = DecimalParser.accumulateDigits(bytes, from: p, to: count, into: &value)
                if end > p, RowIDLog.isCanonical(digits: end - p, first: base[p]),
                    end == count || base[end] == UInt8(ascii: ",") || base[end] == UInt8(ascii: "\n")
                {
                    integerID = value
                    p = end
                }
            }
            while p < count {
                let byte = base[p]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") { break }
                if byte == UInt8(ascii: "\"") { return nil }
                p += 1
            }
            if column + 1 < columnCount {
                guard p < count && base[p] == UInt8(ascii: ",") else { return nil }
                p += 1
            }
        }
        // The record ends here: LF, CRLF or the end of the bytes.
        var recordEnd = p
        if p < count && base[p] == UInt8(ascii: "\r") {
            p += 1
        } else if p > start && base[p - 1] == UInt8(ascii: "\r") && featureSlots[columnCount - 1] < 0 {
            recordEnd = p - 1  // CR swallowed by a last text field
        }
        guard p == count || base[p] == UInt8(ascii: "\n") else { return nil }
        guard p > start else { return nil }  // a blank line
        fieldStarts[columnCount] = recordEnd + 1
        return Record(end: p, integerID: integerID)
    }

    /// Column `column` of the last record parsed.
    @inline(__always)
    func field(_ column: Int) -> FieldSpan {
        FieldSpan(start: fieldStarts[column], end: fieldStarts[column + 1] - 1, flags: 0)
    }

    /// Columns `run` of the last record parsed, as one span (commas included).
    @inline(__always)
    func run(_ run: ClosedRange<Int>) -> FieldSpan {
        FieldSpan(start: fieldStarts[run.lowerBound], end: fieldStarts[run.upperBound + 1] - 1, flags: 0)
    }
}
