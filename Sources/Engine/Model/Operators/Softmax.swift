#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax and LogSoftmax.
///
/// Before opset 13 the input is coerced to 2-D at `axis` (default 1) and the
/// function runs over everything from `axis` on; from opset 13 it runs over the
/// single axis `axis` (default -1).
struct SoftmaxKernel: OperatorKernel {
    let axis: Int
    let coercesTo2D: Bool
    let logarithm: Bool

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        var x = try inputs.take(0)
        guard x.elementType == .float else { throw .invalid("input must be float") }
        guard x.rank > 0 else { throw .shape("input must have rank 1 or more") }
        let resolved = try normalizedAxis(axis, rank: x.rank)
        let outer = x.shape[..<resolved].reduce(1, *)
        let size: Int
        let inner: Int
        if coercesTo2D {
            size = x.shape[resolved...].reduce(1, *)
            inner = 1
        } else {
            size = x.shape[resolved]
            inner = x.shape[(resolved + 1)...].reduce(1, *)
        }
        guard size > 0 else { return [x] }
        let logarithm = self.logarithm
        x.floats.withUnsafeMutableBufferPointer { values in
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * size * inner + i
                    var largest = -Float.infinity
                    for k in 0..<size {
                        largest = Swift.max(largest, values[base + k * inner])
                    }
                    var sum: Float = 0
                    if logarithm {
                        for k in 0..<size {
                            sum += expf(values[base + k * inner] - largest)
                        }
                        let shift = largest + logf(sum)
                        for k in 0..<size {
                            values[base + k * inner] -= shift
                        }
                    } else {
                        for k in 0..<size {
                            let e = expf(values[base + k * inner] - largest)
                            values[base + k * inner] = e
                            sum += e
                        }
                        let scale = 1 / sum
                        for k in 0..<size {
                            values[base + k * inner] *= scale
                        }
                    }
                }
            }
        }
        return [x]
    }
}
