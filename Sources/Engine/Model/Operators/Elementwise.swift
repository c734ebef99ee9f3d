#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise activations and math functions of one input.
///
/// The input buffer is rewritten in place when this node is its last user.
struct UnaryElementwise: OperatorKernel {
    enum Function: Sendable, Equatable {
        case relu
        case leakyRelu(alpha: Float)
        case sigmoid
        case hardSigmoid(alpha: Float, beta: Float)
        case hardSwish
        case tanh
        case erf
        case gelu
        case geluTanh
        case sqrt
        case neg
        case exp
        case log
        case abs
        case reciprocal
        case floor
        case ceil
        case round
        case sign
        case elu(alpha: Float)
        case selu(alpha: Float, gamma: Float)
        case softplus
        case softsign

        /// Whether the function is defined on int64 tensors.
        var acceptsIntegers: Bool {
            switch self {
            case .relu, .neg, .abs, .sign: true
            default: false
            }
        }
    }

    let function: Function

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        var x = try inputs.take(0)
        switch x.elementType {
        case .float:
            x.floats.withUnsafeMutableBufferPointer { apply(to: $0) }
        case .int64:
            guard function.acceptsIntegers else {
                throw .invalid("input must be float, got \(x.elementType)")
            }
            x.ints.withUnsafeMutableBufferPointer { applyIntegers(to: $0) }
        case .string:
            throw .invalid("input must be float, got strings")
        }
        return [x]
    }

    @inline(__always)
    private func map(_ values: UnsafeMutableBufferPointer<Float>, _ transform: (Float) -> Float) {
        for i in values.indices {
            values[i] = transform(values[i])
        }
    }

    private func apply(to values: UnsafeMutableBufferPointer<Float>) {
        switch function {
        case .relu: map(values) { $0 > 0 ? $0 : 0 }
        case .leakyRelu(let alpha): map(values) { $0 >= 0 ? $0 : $0 * alpha }
        case .sigmoid: map(values) { 1 / (1 + expf(-$0)) }
        case .hardSigmoid(let alpha, let beta): map(values) { Swift.max(0, Swift.min(1, alpha * $0 + beta)) }
        case .hardSwish: map(values) { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) }
        case .tanh: map(values) { tanhf($0) }
        case .erf: map(values) { erff($0) }
        case .gelu: map(values) { Float(0.5 * Double($0) * (1 + erf(Double($0) * 0.7071067811865476))) }
        case .geluTanh:
            map(values) { x in
                let inner = 0.7978845608028654 * (Double(x) + 0.044715 * Double(x) * Double(x) * Double(x))
                return Float(0.5 * Double(x) * (1 + tanh(inner)))
            }
        case .sqrt: map(values) { $0.squareRoot() }
        case .neg: map(values) { -$0 }
        case .exp: map(values) { expf($0) }
        case .log: map(values) { logf($0) }
        case .abs: map(values) { Swift.abs($0) }
        case .reciprocal: map(values) { 1 / $0 }
        case .floor: map(values) { $0.rounded(.down) }
        case .ceil: map(values) { $0.rounded(.up) }
        case .round: map(values) { $0.rounded(.toNearestOrEven) }
        case .sign: map(values) { $0 > 0 ? 1 : ($0 < 0 ? -1 : ($0.isNaN ? .nan : 0)) }
        case .elu(let alpha): map(values) { $0 >= 0 ? $0 : alpha * (expf($0) - 1) }
        case .selu(let alpha, let gamma): map(values) { $0 > 0 ? gamma * $0 : gamma * alpha * (expf($0) - 1) }
        case .softplus: map(values) { $0 > 20 ? $0 : log1pf(expf($0)) }
        case .softsign: map(values) { $0 / (1 + Swift.abs($0)) }
        }
    }

    private func applyIntegers(to values: UnsafeMutableBufferPointer<Int64>) {
        for i in values.indices {
            let x = values[i]
            switch function {
            case .relu: values[i] = Swift.max(x, 0)
            case .neg: values[i] = 0 &- x
            case .abs: values[i] = x < 0 ? 0 &- x : x
            case .sign: values[i] = x.signum()
            default: break
            }
        }
    }
}

/// Clip: bounds from attributes before opset 11, from optional scalar inputs since.
struct ClipKernel: OperatorKernel {
    /// Bounds given as attributes (opset < 11); inputs 1 and 2 are used when present.
    let attributeMin: Float?
    let attributeMax: Float?

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let low = try inputs.optionalScalar(1) ?? attributeMin
        let high = try inputs.optionalScalar(2) ?? attributeMax
        var x = try inputs.take(0)
        switch x.elementType {
        case .float:
            let lower = low ?? -.infinity
            let upper = high ?? .infinity
            x.floats.withUnsafeMutableBufferPointer { values in
                for i in values.indices {
                    values[i] = Swift.min(Swift.max(values[i], lower), upper)
                }
            }
        case .int64:
            let lower = inputs.optional(1)?.valuesAsInt64.first ?? low.map(Int64.init(clampingFloat:)) ?? .min
            let upper = inputs.optional(2)?.valuesAsInt64.first ?? high.map(Int64.init(clampingFloat:)) ?? .max
            x.ints.withUnsafeMutableBufferPointer { values in
                for i in values.indices {
                    values[i] = Swift.min(Swift.max(values[i], lower), upper)
                }
            }
        case .string:
            throw .invalid("Clip does not take strings")
        }
        return [x]
    }
}

/// Identity, and Dropout at inference time (its optional mask output is all true).
struct PassThrough: OperatorKernel {
    /// Whether to produce Dropout's second output, the mask.
    let producesMask: Bool

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let x = try inputs.take(0)
        guard producesMask else { return [x] }
        return [x, Tensor(shape: x.shape, ints: [Int64](repeating: 1, count: x.count))]
    }
}
