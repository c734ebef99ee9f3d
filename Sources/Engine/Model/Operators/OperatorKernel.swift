/// A compiled ONNX operator: attributes already parsed and checked, ready to run on tensors.
///
/// Kernels are immutable and shared by every thread that runs the model.
protocol OperatorKernel: Sendable {
    /// Computes the node's outputs, one per declared output (trailing optional outputs may be omitted).
    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor]
}

/// Why an operator could not run; the execution plan adds the node, operator and model path.
struct OperatorError: Error {
    let code: ModelError.Code
    let detail: String

    static func shape(_ detail: String) -> OperatorError {
        OperatorError(code: .shapeMismatch, detail: detail)
    }

    static func invalid(_ detail: String) -> OperatorError {
        OperatorError(code: .invalidGraph, detail: detail)
    }
}

/// The inputs of one node for one run.
///
/// A slot holds `nil` for an omitted optional input. Inputs whose last use is
/// this node are handed over without another reference, so a kernel that
/// ``take(_:)``s one may write into its buffer instead of allocating.
struct KernelInputs {
    private var values: [Tensor?]

    init(_ values: [Tensor?]) {
        self.values = values
    }

    var count: Int { values.count }

    /// Whether optional input `index` was given.
    func has(_ index: Int) -> Bool {
        index < values.count && values[index] != nil
    }

    /// Reads input `index` without taking ownership.
    func peek(_ index: Int) throws(OperatorError) -> Tensor {
        guard index < values.count, let value = values[index] else {
            throw .invalid("required input \(index) is missing")
        }
        return value
    }

    /// Reads optional input `index` without taking ownership.
    func optional(_ index: Int) -> Tensor? {
        index < values.count ? values[index] : nil
    }

    /// Moves input `index` out, so that its buffer can be reused if nothing else holds it.
    mutating func take(_ index: Int) throws(OperatorError) -> Tensor {
        guard index < values.count, let value = values[index] else {
            throw .invalid("required input \(index) is missing")
        }
        values[index] = nil
        return value
    }

    /// Reads input `index`, which must be float.
    func floatInput(_ index: Int) throws(OperatorError) -> Tensor {
        let tensor = try peek(index)
        guard tensor.elementType == .float else {
            throw .invalid("input \(index) must be float, got \(tensor.elementType)")
        }
        return tensor
    }

    /// Reads input `index`, which must hold integers (shapes, axes, indices), as `Int`s.
    func integers(_ index: Int) throws(OperatorError) -> [Int] {
        let tensor = try peek(index)
        guard tensor.elementType == .int64 else {
            throw .invalid("input \(index) must be an integer tensor, got \(tensor.elementType)")
        }
        return tensor.ints.map { Int($0) }
    }

    /// Reads optional input `index` as one float, for scalar parameters such as Clip's bounds.
    func optionalScalar(_ index: Int) throws(OperatorError) -> Float? {
        guard let tensor = optional(index) else { return nil }
        guard tensor.count == 1 else {
            throw .shape("input \(index) must be a scalar, got shape \(tensor.shape.shapeText)")
        }
        return tensor.valuesAsFloat[0]
    }
}

/// What a kernel factory may look at when it compiles one node.
struct NodeContext {
    let node: Onnx_NodeProto
    /// The opset version in force for the node's domain.
    let opsetVersion: Int
    let attributes: NodeAttributes

    /// Whether input `index` is present (ONNX marks an omitted optional input with an empty name).
    func hasInput(_ index: Int) -> Bool {
        index < node.input.count && !node.input[index].isEmpty
    }
}

/// Builds a kernel for one node, or says why it cannot.
typealias KernelFactory = @Sendable (NodeContext) throws(OperatorError) -> any OperatorKernel

/// Normalises a possibly negative axis against a rank, as ONNX allows since opset 11.
///
/// - Parameter allowingEnd: accept `rank` itself, for operators such as Flatten whose axis is a split point.
func normalizedAxis(_ axis: Int, rank: Int, allowingEnd: Bool = false) throws(OperatorError) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0, resolved < rank || (allowingEnd && resolved == rank) else {
        throw .invalid("axis \(axis) is out of range for rank \(rank)")
    }
    return resolved
}
