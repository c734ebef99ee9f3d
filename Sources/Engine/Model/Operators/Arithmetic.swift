#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Add, Sub, Mul, Div, Pow, Max, Min, Mod and PRelu: elementwise with NumPy broadcasting.
///
/// Max and Min are variadic in ONNX; they fold their inputs left to right.
/// Integer arithmetic wraps on overflow, and integer division by zero is an
/// error rather than a trap.
struct BinaryArithmetic: OperatorKernel {
    enum Operation: Sendable {
        case add, sub, mul, div, pow, max, min, prelu, mod
    }

    let operation: Operation
    /// Mod's `fmod` attribute: 1 keeps the dividend's sign (C `fmod`), 0 the divisor's (Python `%`).
    var cStyleModulo = false

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        var result = try inputs.take(0)
        for index in 1..<Swift.max(inputs.count, 1) where inputs.has(index) {
            let next = try inputs.take(index)
            // `consume` hands the only reference over, so the sum can be written into its buffer.
            result = try combine(consume result, next)
        }
        return [result]
    }

    private func combine(_ first: consuming Tensor, _ second: consuming Tensor) throws(OperatorError) -> Tensor {
        var a = first
        var b = second
        if operation == .pow, a.elementType == .float, b.elementType == .int64 {
            b = Tensor(shape: b.shape, floats: b.valuesAsFloat)
        }
        guard a.elementType == b.elementType else {
            throw .invalid("inputs have different element types (\(a.elementType) and \(b.elementType))")
        }
        let outShape = try Broadcast.shape(a.shape, b.shape)
        switch a.elementType {
        case .float:
            return Tensor(shape: outShape, floats: combineFloats(&a, &b, outShape))
        case .int64:
            if operation == .div || operation == .mod, b.ints.contains(0) {
                throw .invalid("integer division by zero")
            }
            return Tensor(shape: outShape, ints: combineInts(&a, &b, outShape))
        case .string:
            throw .invalid("arithmetic does not take strings")
        }
    }

    /// Writes into whichever operand already has the output shape, else into a new array.
    @inline(__always)
    private func combineArrays<T>(
        _ a: inout [T],
        _ aShape: [Int],
        _ b: inout [T],
        _ bShape: [Int],
        _ outShape: [Int],
        _ operation: (T, T) -> T
    ) -> [T] {
        let count = outShape.elementCount
        if a.count == count {
            b.withUnsafeBufferPointer { bBuffer in
                a.withUnsafeMutableBufferPointer { out in
                    Broadcast.combine(UnsafeBufferPointer(out), aShape, bBuffer, bShape, into: out, shape: outShape, operation)
                }
            }
            return a
        }
        if b.count == count {
            a.withUnsafeBufferPointer { aBuffer in
                b.withUnsafeMutableBufferPointer { out in
                    Broadcast.combine(aBuffer, aShape, UnsafeBufferPointer(out), bShape, into: out, shape: outShape, operation)
                }
            }
            return b
        }
        return a.withUnsafeBufferPointer { aBuffer in
            b.withUnsafeBufferPointer { bBuffer in
                [T](unsafeUninitializedCapacity: count) { out, initialized in
                    Broadcast.combine(aBuffer, aShape, bBuffer, bShape, into: out, shape: outShape, operation)
                    initialized = count
                }
            }
        }
    }

    // Each case passes a closure literal to the always-inlined `combineArrays`, so the
    // operation is inlined into the loops instead of being called per element.
    private func combineFloats(_ a: inout Tensor, _ b: inout Tensor, _ shape: [Int]) -> [Float] {
        switch operation {
        case .add: combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { $0 + $1 }
        case .sub: combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { $0 - $1 }
        case .mul: combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { $0 * $1 }
        case .div: combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { $0 / $1 }
        case .pow: combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { $1 == 2 ? $0 * $0 : powf($0, $1) }
        case .max:
            combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        case .min:
            combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
        case .prelu: combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { $0 < 0 ? $0 * $1 : $0 }
        case .mod:
            if cStyleModulo {
                combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { fmodf($0, $1) }
            } else {
                combineArrays(&a.floats, a.shape, &b.floats, b.shape, shape) { x, y in
                    let r = fmodf(x, y)
                    return r != 0 && (r < 0) != (y < 0) ? r + y : r
                }
            }
        }
    }

    private func combineInts(_ a: inout Tensor, _ b: inout Tensor, _ shape: [Int]) -> [Int64] {
        switch operation {
        case .add: combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { $0 &+ $1 }
        case .sub: combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { $0 &- $1 }
        case .mul: combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { $0 &* $1 }
        case .div: combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { $0.dividedReportingOverflow(by: $1).partialValue }
        case .pow: combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { BinaryArithmetic.integerPower($0, $1) }
        case .max: combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { Swift.max($0, $1) }
        case .min: combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { Swift.min($0, $1) }
        case .prelu: combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { $0 < 0 ? $0 &* $1 : $0 }
        case .mod:
            if cStyleModulo {
                combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { $0.remainderReportingOverflow(dividingBy: $1).partialValue }
            } else {
                combineArrays(&a.ints, a.shape, &b.ints, b.shape, shape) { x, y in
                    let r = x.remainderReportingOverflow(dividingBy: y).partialValue
                    return r != 0 && (r < 0) != (y < 0) ? r + y : r
                }
            }
        }
    }

    private static func integerPower(_ base: Int64, _ exponent: Int64) -> Int64 {
        guard exponent >= 0 else { return base == 1 ? 1 : (base == -1 ? (exponent % 2 == 0 ? 1 : -1) : 0) }
        var result: Int64 = 1
        var factor = base
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result = result &* factor }
            factor = factor &* factor
            remaining >>= 1
        }
        return result
    }
}
