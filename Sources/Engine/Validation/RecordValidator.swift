import Files

/// The general path's rules for one scanned record: quoting, field count, the id, and each
/// feature's number. Each failure is a ``ValidationIssue`` naming the file, line, column, value
/// and rule.
struct RecordValidator {
    let file: String
    let plan: ColumnPlan
    /// How each feature is read (float for all, without a model).
    let featureTypes: [ModelInput.ValueType]
    /// Whether each feature's empty value reaches the model (as NaN, or the empty string) rather
    /// than rejecting the row: see ``ModelInput/acceptsMissingValues``.
    let acceptsMissing: [Bool]

    /// Checks records for `plan`'s features, read as `model`'s inputs declare them.
    init(file: String, plan: ColumnPlan, model: ONNXModel?) {
        self.file = file
        self.plan = plan
        let inputs = model?.inputs ?? []
        let count = plan.featureColumns.count
        let missing = inputs.flatMap { [Bool](repeating: $0.acceptsMissingValues, count: $0.width) }
        featureTypes = Self.featureTypes(model: model, count: count)
        acceptsMissing = missing.count == count ? missing : [Bool](repeating: false, count: count)
    }

    /// How each of `count` features is read: as `model`'s inputs declare them, else as floats.
    static func featureTypes(model: ONNXModel?, count: Int) -> [ModelInput.ValueType] {
        let types = (model?.inputs ?? []).flatMap { [ModelInput.ValueType](repeating: $0.valueType, count: $0.width) }
        return types.count == count ? types : [ModelInput.ValueType](repeating: .float, count: count)
    }

    /// Whether every feature is a float: records can take the fast path.
    var readsOnlyFloats: Bool { !featureTypes.contains { $0 != .float } }

    /// Structural checks: an unterminated or malformed quote, a ragged row, a blank id.
    func structuralIssue(
        _ fields: [FieldSpan], in bytes: UnsafeBufferPointer<UInt8>, line: Int, unterminated: Bool
    ) -> ValidationIssue? {
        let columnCount = plan.header.count
        if unterminated {
            return ValidationIssue(
                file: file, line: line, column: fields.count, columnName: columnName(fields.count - 1),
                rule: .unterminatedQuote, message: "a quoted field opened here is never closed (it runs to the end of the file)"
            )
        }
        if let bad = fields.firstIndex(where: \.isMalformed) {
            return fieldIssue(
                fields, bytes, line: line, column: bad, rule: .malformedQuoting,
                "has a quote that is not RFC 4180 (quote the whole field and double inner quotes)")
        }
        if fields.count != columnCount {
            return ValidationIssue(
                file: file, line: line, column: min(fields.count, columnCount) + 1,
                rule: .raggedRow,
                message: "row has \(fields.count) field\(fields.count == 1 ? "" : "s") but the header has \(columnCount)"
            )
        }
        if Self.isBlank(bytes, fields[plan.idColumn]) {
            return fieldIssue(fields, bytes, line: line, column: plan.idColumn, rule: .emptyID, "is empty; every row needs an id")
        }
        return nil
    }

    /// Parses every feature of a structurally sound record into `row` (an int64 feature into
    /// `integers`, a string feature into `strings`, at the same place); the first bad one is the issue.
    func parseFeatures(
        _ fields: [FieldSpan], in bytes: UnsafeBufferPointer<UInt8>, line: Int, into row: UnsafeMutablePointer<Float>,
        integers: UnsafeMutablePointer<Int64>? = nil, strings: UnsafeMutablePointer<String>? = nil
    ) -> ValidationIssue? {
        for (feature, column) in plan.featureColumns.enumerated() {
            let field = fields[column]
            switch featureTypes[feature] {
            case .string:
                strings?[feature] = CSVRecordScanner.text(of: field, in: bytes)
                continue
            case .int64:
                if let value = Self.wholeNumber(bytes, field.start, field.end) {
                    integers?[feature] = value
                    continue
                }
                if DecimalParser.parse(bytes, field.start, field.end) == .empty {
                    return fieldIssue(
                        fields, bytes, line: line, column: column, rule: .emptyValue, "is empty; every feature needs a whole number")
                }
                return fieldIssue(fields, bytes, line: line, column: column, rule: .notANumber, "is not a whole number (int64)")
            case .float:
                break
            }
            switch DecimalParser.parse(bytes, field.start, field.end) {
            case .number(let number):
                let single = Float(number)
                if single.isFinite {
                    row[feature] = single
                    continue
                }
                return fieldIssue(fields, bytes, line: line, column: column, rule: .outOfRange, "is outside the Float32 range (±3.4e38)")
            case .empty:
                if acceptsMissing[feature] {
                    row[feature] = .nan
                    continue
                }
                return fieldIssue(fields, bytes, line: line, column: column, rule: .emptyValue, "is empty; every feature needs a number")
            case .nonFinite:
                return fieldIssue(
                    fields, bytes, line: line, column: column, rule: .nonFinite, "is not finite; features must be finite numbers")
            case .notANumber:
                return fieldIssue(fields, bytes, line: line, column: column, rule: .notANumber, "is not a number")
            }
        }
        return nil
    }

    /// The whole number `bytes[start..<end]` holds (`42`, ` -7 `, `1e3`, `2.0`), exactly, or nil
    /// for anything else or a value outside int64.
    static func wholeNumber(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        guard case .number(let number) = DecimalParser.parse(bytes, start, end), number.rounded(.towardZero) == number,
            abs(number) < 0x1p63
        else { return nil }
        // Plain digits are read exactly (a double holds 53 bits); other spellings via the double.
        var first = start
        var last = end
        while first < last && (bytes[first] == 0x20 || bytes[first] == 0x09) { first += 1 }
        while last > first && (bytes[last - 1] == 0x20 || bytes[last - 1] == 0x09) { last -= 1 }
        return Int64(String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<last]), as: UTF8.self)) ?? Int64(number)
    }

    /// The issue for the model's output of a row (NaN or infinite scores).
    func modelOutputIssue(line: Int, rowGroup: Int? = nil, outputs: [Float]) -> ValidationIssue {
        ValidationIssue(
            file: file, line: line, rowGroup: rowGroup, rule: .modelOutputNotFinite,
            message:
                "the model produced \(outputs.map(\.description).joined(separator: ", ")) for this row; check the feature values for extremes"
        )
    }

    /// True when `field` holds only spaces and tabs.
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>, _ field: FieldSpan) -> Bool {
        var p = field.start
        while p < field.end {
            if bytes[p] != 0x20 && bytes[p] != 0x09 { return false }
            p += 1
        }
        return true
    }

    private func columnName(_ index: Int) -> String? {
        index >= 0 && index < plan.header.count ? plan.header[index] : nil
    }

    private func fieldIssue(
        _ fields: [FieldSpan], _ bytes: UnsafeBufferPointer<UInt8>, line: Int, column: Int, rule: ValidationIssue.Rule,
        _ problem: String
    ) -> ValidationIssue {
        // The field's own bytes, escaped and cut: a value from a binary file must not reach a log raw.
        let text = String(escaping: UnsafeBufferPointer(rebasing: bytes[fields[column].start..<fields[column].end]))
        let name = columnName(column).map(ColumnPlan.shown) ?? "#\(column + 1)"
        return ValidationIssue(
            file: file, line: line, column: column + 1, columnName: name, value: text, rule: rule,
            message: "column '\(name)' value \"\(text)\" \(problem)"
        )
    }
}
