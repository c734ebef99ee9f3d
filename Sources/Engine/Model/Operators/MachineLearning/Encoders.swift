/// The ONNX-ML operators that turn categories into numbers and move columns around, as
/// scikit-learn pipelines export them: OneHotEncoder, LabelEncoder, CategoryMapper, Binarizer,
/// ArrayFeatureExtractor and FeatureVectorizer.

/// A category as the encoders compare it: a string, or an integer (a float input's values are
/// truncated to integers first, as onnxruntime's OneHotEncoder does).
private enum CategoryKey: Hashable {
    case text(String)
    case integer(Int64)

    /// Each element of `tensor` as a key.
    static func keys(of tensor: Tensor) -> [CategoryKey] {
        switch tensor.elementType {
        case .string: tensor.strings.map(CategoryKey.text)
        case .int64: tensor.ints.map(CategoryKey.integer)
        case .float: tensor.floats.map { CategoryKey.integer(Int64(clampingFloat: $0)) }
        }
    }
}

/// OneHotEncoder: each value becomes a row of `0`s with a `1` at its category's place. The output
/// has the input's shape plus a last axis of one entry per category. A value of no category gives
/// all zeros (`zeros=1`, the default) or is an error (`zeros=0`).
struct OneHotEncoderKernel: OperatorKernel {
    private let positions: [CategoryKey: Int]
    private let categoryCount: Int
    private let unknownIsZeros: Bool

    init(_ context: NodeContext) throws(OperatorError) {
        let strings = try context.attributes.strings("cats_strings") ?? []
        let integers = try context.attributes.ints("cats_int64s") ?? []
        guard strings.isEmpty != integers.isEmpty else {
            throw .invalid("OneHotEncoder needs exactly one of cats_strings and cats_int64s")
        }
        let keys = strings.isEmpty ? integers.map { CategoryKey.integer(Int64($0)) } : strings.map(CategoryKey.text)
        positions = Dictionary(keys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        categoryCount = keys.count
        unknownIsZeros = try context.attributes.int("zeros", default: 1) != 0
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let input = try inputs.peek(0)
        let keys = CategoryKey.keys(of: input)
        var output = [Float](repeating: 0, count: keys.count * categoryCount)
        for (index, key) in keys.enumerated() {
            if let position = positions[key] {
                output[index * categoryCount + position] = 1
            } else if !unknownIsZeros {
                throw .invalid("value \(key) is not one of the encoder's categories (and zeros=0 makes that an error)")
            }
        }
        return [Tensor(shape: input.shape + [categoryCount], floats: output)]
    }
}

/// LabelEncoder: maps each value through `keys_*` → `values_*` (ml opset 2 and later; opset 1's
/// `classes_strings` maps a string to its index and back), and an unlisted value to the default.
struct LabelEncoderKernel: OperatorKernel {
    private enum Values {
        case floats([Float], default: Float)
        case ints([Int64], default: Int64)
        case strings([String], default: String)
    }

    private let positions: [LabelKey: Int]
    private let values: Values
    /// Float keys match by value, NaN matching NaN; strings and integers as they are.
    private enum LabelKey: Hashable {
        case text(String)
        case integer(Int64)
        case number(UInt32)

        static func of(_ value: Float) -> LabelKey { .number(value.isNaN ? Float.nan.bitPattern : (value == 0 ? 0 : value.bitPattern)) }
    }

    init(_ context: NodeContext) throws(OperatorError) {
        let attributes = context.attributes
        if context.opsetVersion < 2 {
            let classes = try attributes.strings("classes_strings") ?? []
            let defaultInt = Int64(try attributes.int("default_int64", default: -1))
            let defaultString = try attributes.string("default_string", default: "_Unused")
            // The direction (string → index, or index → string) shows in the input's type at run
            // time; both maps are kept.
            var positions: [LabelKey: Int] = [:]
            for (index, name) in classes.enumerated() where positions[.text(name)] == nil {
                positions[.text(name)] = index
                positions[.integer(Int64(index))] = index
            }
            self.positions = positions
            self.values = .ints(classes.indices.map { Int64($0) }, default: defaultInt)
            self.legacyClasses = (classes, defaultString)
            return
        }
        legacyClasses = nil
        let keys: [LabelKey]
        if let strings = try attributes.strings("keys_strings"), !strings.isEmpty {
            keys = strings.map(LabelKey.text)
        } else if let integers = try attributes.ints("keys_int64s"), !integers.isEmpty {
            keys = integers.map { .integer(Int64($0)) }
        } else if let floats = try attributes.floats("keys_floats"), !floats.isEmpty {
            keys = floats.map(LabelKey.of)
        } else if let tensor = try attributes.tensor("keys_tensor") {
            switch tensor.elementType {
            case .string: keys = tensor.strings.map(LabelKey.text)
            case .int64: keys = tensor.ints.map(LabelKey.integer)
            case .float: keys = tensor.floats.map(LabelKey.of)
            }
        } else {
            throw .invalid("LabelEncoder needs keys (keys_strings, keys_int64s, keys_floats or keys_tensor)")
        }
        if let strings = try attributes.strings("values_strings"), !strings.isEmpty {
            values = .strings(strings, default: try attributes.string("default_string", default: "_Unused"))
        } else if let integers = try attributes.ints("values_int64s"), !integers.isEmpty {
            values = .ints(integers.map { Int64($0) }, default: Int64(try attributes.int("default_int64", default: -1)))
        } else if let floats = try attributes.floats("values_floats"), !floats.isEmpty {
            values = .floats(floats, default: try attributes.float("default_float", default: -0.0))
        } else if let tensor = try attributes.tensor("values_tensor") {
            let fallback = try attributes.tensor("default_tensor")
            switch tensor.elementType {
            case .string: values = .strings(tensor.strings, default: fallback?.strings.first ?? "_Unused")
            case .int64: values = .ints(tensor.ints, default: fallback?.ints.first ?? -1)
            case .float: values = .floats(tensor.floats, default: fallback?.floats.first ?? -0.0)
            }
        } else {
            throw .invalid("LabelEncoder needs values (values_strings, values_int64s, values_floats or values_tensor)")
        }
        let valueCount: Int
        switch values {
        case .floats(let list, _): valueCount = list.count
        case .ints(let list, _): valueCount = list.count
        case .strings(let list, _): valueCount = list.count
        }
        guard valueCount == keys.count else {
            throw .invalid("LabelEncoder has \(keys.count) keys but \(valueCount) values")
        }
        positions = Dictionary(keys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// ml opset 1: the class names and the default string for an index that names none.
    private let legacyClasses: (names: [String], defaultString: String)?

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let input = try inputs.peek(0)
        let keys: [LabelKey]
        switch input.elementType {
        case .string: keys = input.strings.map(LabelKey.text)
        case .int64: keys = input.ints.map(LabelKey.integer)
        case .float: keys = input.floats.map(LabelKey.of)
        }
        if let legacyClasses, input.elementType == .int64 {
            // Opset 1, index → class name.
            return [
                Tensor(
                    shape: input.shape,
                    strings: input.ints.map {
                        $0 >= 0 && $0 < legacyClasses.names.count ? legacyClasses.names[Int($0)] : legacyClasses.defaultString
                    })
            ]
        }
        let found = keys.map { positions[$0] }
        switch values {
        case .floats(let list, let fallback): return [Tensor(shape: input.shape, floats: found.map { $0.map { list[$0] } ?? fallback })]
        case .ints(let list, let fallback): return [Tensor(shape: input.shape, ints: found.map { $0.map { list[$0] } ?? fallback })]
        case .strings(let list, let fallback): return [Tensor(shape: input.shape, strings: found.map { $0.map { list[$0] } ?? fallback })]
        }
    }
}

/// CategoryMapper: strings to integers through the parallel lists `cats_strings`/`cats_int64s`,
/// or integers back to strings; an unlisted value becomes `default_int64` or `default_string`.
struct CategoryMapperKernel: OperatorKernel {
    private let toInteger: [String: Int64]
    private let toString: [Int64: String]
    private let defaultInteger: Int64
    private let defaultString: String

    init(_ context: NodeContext) throws(OperatorError) {
        let strings = try context.attributes.strings("cats_strings") ?? []
        let integers = (try context.attributes.ints("cats_int64s") ?? []).map { Int64($0) }
        guard strings.count == integers.count, !strings.isEmpty else {
            throw .invalid("CategoryMapper needs cats_strings and cats_int64s of the same, non-zero length")
        }
        toInteger = Dictionary(zip(strings, integers).map { ($0, $1) }, uniquingKeysWith: { first, _ in first })
        toString = Dictionary(zip(integers, strings).map { ($0, $1) }, uniquingKeysWith: { first, _ in first })
        defaultInteger = Int64(try context.attributes.int("default_int64", default: -1))
        defaultString = try context.attributes.string("default_string", default: "_Unused")
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let input = try inputs.peek(0)
        switch input.elementType {
        case .string: return [Tensor(shape: input.shape, ints: input.strings.map { toInteger[$0] ?? defaultInteger })]
        case .int64: return [Tensor(shape: input.shape, strings: input.ints.map { toString[$0] ?? defaultString })]
        case .float: throw .invalid("CategoryMapper takes strings or int64, got float32")
        }
    }
}

/// Binarizer: 1 where a value is greater than `threshold`, else 0.
struct BinarizerKernel: OperatorKernel {
    let threshold: Float

    init(_ context: NodeContext) throws(OperatorError) {
        threshold = try context.attributes.float("threshold", default: 0)
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let input = try inputs.floatInput(0)
        return [Tensor(shape: input.shape, floats: input.floats.map { $0 > threshold ? 1 : 0 })]
    }
}

/// ArrayFeatureExtractor: picks entries of the last axis by index (input 1). A rank-1 input gives
/// one row `[1, indices]`, as onnxruntime does.
struct ArrayFeatureExtractorKernel: OperatorKernel {
    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let input = try inputs.peek(0)
        let indices = try inputs.integers(1)
        guard input.rank >= 1, !indices.isEmpty else {
            throw .invalid("ArrayFeatureExtractor needs an input of rank 1 or more and at least one index")
        }
        let last = input.shape[input.rank - 1]
        if let bad = indices.first(where: { $0 < 0 || $0 >= last }) {
            throw .invalid("index \(bad) is out of range for the last axis of \(input.shape.shapeText)")
        }
        let rows = input.count / max(last, 1)
        let shape = input.rank == 1 ? [1, indices.count] : Array(input.shape.dropLast()) + [indices.count]
        func pick<T>(_ values: [T]) -> [T] {
            var result: [T] = []
            result.reserveCapacity(rows * indices.count)
            for row in 0..<rows {
                for index in indices { result.append(values[row * last + index]) }
            }
            return result
        }
        switch input.elementType {
        case .float: return [Tensor(shape: shape, floats: pick(input.floats))]
        case .int64: return [Tensor(shape: shape, ints: pick(input.ints))]
        case .string: return [Tensor(shape: shape, strings: pick(input.strings))]
        }
    }
}

/// FeatureVectorizer: joins its inputs side by side into one float row per example, input k
/// taking `inputdimensions[k]` columns (cut, or padded with zeros, to that width).
struct FeatureVectorizerKernel: OperatorKernel {
    let dimensions: [Int]

    init(_ context: NodeContext) throws(OperatorError) {
        dimensions = try context.attributes.ints("inputdimensions") ?? []
        guard dimensions.allSatisfy({ $0 >= 0 }) else { throw .invalid("inputdimensions must not be negative") }
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        guard inputs.count == dimensions.count else {
            throw .invalid("FeatureVectorizer has \(inputs.count) inputs but \(dimensions.count) inputdimensions")
        }
        let parts = try (0..<inputs.count).map { index throws(OperatorError) in try inputs.peek(index) }
        let rows = parts.first.map { $0.rank == 0 ? 1 : $0.shape[0] } ?? 0
        let width = dimensions.reduce(0, +)
        var output = [Float](repeating: 0, count: rows * width)
        var offset = 0
        for (part, dimension) in zip(parts, dimensions) {
            guard part.elementType != .string else { throw .invalid("FeatureVectorizer takes numbers, not strings") }
            let partRows = part.rank == 0 ? 1 : part.shape[0]
            guard partRows == rows else {
                throw .shape("inputs have \(rows) and \(partRows) rows")
            }
            let columns = rows == 0 ? 0 : part.count / rows
            let values = part.valuesAsFloat
            for row in 0..<rows {
                for column in 0..<min(columns, dimension) {
                    output[row * width + offset + column] = values[row * columns + column]
                }
            }
            offset += dimension
        }
        return [Tensor(shape: [rows, width], floats: output)]
    }
}
