/// A dense, row-major tensor that flows between operators.
///
/// Three storage kinds cover what a tabular model needs: float32 for data,
/// int64 for shapes, indices and integer columns, and strings for the text
/// columns of scikit-learn pipelines (OneHotEncoder, LabelEncoder, …).
/// Narrower integers and booleans are held as int64 (booleans as 0 and 1);
/// double is held as float32, which is what the model computes in anyway.
/// Only the array that matches ``elementType`` is used; the others stay empty.
struct Tensor: Sendable {
    /// Which of the two storage arrays holds the values.
    enum ElementType: Sendable, Equatable, CustomStringConvertible {
        case float
        case int64
        case string

        var description: String {
            switch self {
            case .float: "float32"
            case .int64: "int64"
            case .string: "string"
            }
        }
    }

    var shape: [Int]
    private(set) var elementType: ElementType
    var floats: [Float]
    var ints: [Int64]
    var strings: [String]

    init(shape: [Int], floats: [Float]) {
        precondition(shape.elementCount == floats.count, "tensor shape \(shape) does not match \(floats.count) values")
        self.shape = shape
        self.elementType = .float
        self.floats = floats
        self.ints = []
        self.strings = []
    }

    init(shape: [Int], ints: [Int64]) {
        precondition(shape.elementCount == ints.count, "tensor shape \(shape) does not match \(ints.count) values")
        self.shape = shape
        self.elementType = .int64
        self.floats = []
        self.ints = ints
        self.strings = []
    }

    init(shape: [Int], strings: [String]) {
        precondition(shape.elementCount == strings.count, "tensor shape \(shape) does not match \(strings.count) values")
        self.shape = shape
        self.elementType = .string
        self.floats = []
        self.ints = []
        self.strings = strings
    }

    /// A rank-1 int64 tensor, the form ONNX uses for shapes, axes and indices.
    init(vector: [Int64]) {
        self.init(shape: [vector.count], ints: vector)
    }

    var count: Int { shape.elementCount }
    var rank: Int { shape.count }

    /// The values as int64, converting float values by truncation; used where an operator accepts
    /// either type. (Strings, which no such operator takes, read as zeros.)
    var valuesAsInt64: [Int64] {
        switch elementType {
        case .int64: ints
        case .float: floats.map(Int64.init(clampingFloat:))
        case .string: [Int64](repeating: 0, count: strings.count)
        }
    }

    /// The values as float, converting int64 values. (Strings, which no such operator takes, read as NaN.)
    var valuesAsFloat: [Float] {
        switch elementType {
        case .float: floats
        case .int64: ints.map { Float($0) }
        case .string: [Float](repeating: .nan, count: strings.count)
        }
    }

    /// Returns a tensor with the same values viewed under another shape of the same element count.
    func reshaped(to newShape: [Int]) -> Tensor {
        var copy = self
        precondition(newShape.elementCount == count)
        copy.shape = newShape
        return copy
    }
}

extension Array where Element == Int {
    /// The number of elements in a tensor of this shape (1 for a scalar).
    var elementCount: Int { reduce(1, *) }

    /// The element count, or nil when a dimension is negative or the product overflows; for shapes read from a model.
    var checkedElementCount: Int? {
        var product = 1
        for dimension in self {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    /// Row-major strides: how far apart consecutive indices along each axis are.
    var rowMajorStrides: [Int] {
        var strides = [Int](repeating: 1, count: count)
        var step = 1
        for axis in indices.reversed() {
            strides[axis] = step
            step *= self[axis]
        }
        return strides
    }

    /// The shape as ONNX tools print it, e.g. `[4096, 10]`.
    var shapeText: String { "[" + map(String.init).joined(separator: ", ") + "]" }
}

extension Int64 {
    /// Converts like a C cast (truncation toward zero) but saturates instead of trapping on NaN or overflow.
    init(clampingFloat value: Float) {
        if value.isNaN {
            self = 0
        } else if value >= Float(Int64.max) {
            self = .max
        } else if value <= Float(Int64.min) {
            self = .min
        } else {
            self = Int64(value)
        }
    }

    /// Converts like a C cast (truncation toward zero) but saturates instead of trapping on NaN or overflow.
    init(clampingDouble value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= Double(Int64.max) {
            self = .max
        } else if value <= Double(Int64.min) {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}
