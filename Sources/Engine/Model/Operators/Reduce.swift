#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceSumSquare, ReduceL1, ReduceL2 and ReduceLogSumExp.
///
/// Axes come from the `axes` attribute, or from input 1 where the opset moved
/// them there (ReduceSum at 13, the others at 18). Accumulation is in double;
/// int64 tensors are reduced through double as well, which is exact for the
/// sizes and indices they hold here.
struct ReduceKernel: OperatorKernel {
    enum Reduction: Sendable {
        case mean, sum, max, min, prod, sumSquare, l1, l2, logSumExp
    }

    let reduction: Reduction
    /// The `axes` attribute, when the opset still has it.
    let attributeAxes: [Int]?
    let keepDimensions: Bool
    let noopWithEmptyAxes: Bool

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let x = try inputs.peek(0)
        guard x.elementType != .string else { throw .invalid("reductions do not take strings") }
        let axes = inputs.has(1) ? try inputs.integers(1) : (attributeAxes ?? [])
        if axes.isEmpty && noopWithEmptyAxes {
            return [x]
        }
        var reduced = [Bool](repeating: axes.isEmpty, count: x.rank)
        for axis in axes {
            reduced[try normalizedAxis(axis, rank: x.rank)] = true
        }
        var keptShape: [Int] = []
        var outShape: [Int] = []
        for axis in 0..<x.rank {
            if reduced[axis] {
                if keepDimensions { outShape.append(1) }
                keptShape.append(1)
            } else {
                outShape.append(x.shape[axis])
                keptShape.append(x.shape[axis])
            }
        }
        let outCount = keptShape.elementCount
        let reducedCount = x.count / Swift.max(outCount, 1)
        // Output index of each input element: strides of the kept shape, 0 along reduced axes.
        let keptStrides = keptShape.rowMajorStrides
        let targetStrides = (0..<x.rank).map { reduced[$0] ? 0 : keptStrides[$0] }

        let values = x.valuesAsDouble
        var accumulators = [Double](repeating: initialValue, count: outCount)
        if reduction == .logSumExp {
            // Subtract each group's maximum first so exp cannot overflow.
            var maxima = [Double](repeating: -.infinity, count: outCount)
            forEachStridedOffset(shape: x.shape, strides: targetStrides) { source, target in
                maxima[target] = Swift.max(maxima[target], values[source])
            }
            forEachStridedOffset(shape: x.shape, strides: targetStrides) { source, target in
                accumulators[target] += exp(values[source] - maxima[target])
            }
            for i in 0..<outCount {
                accumulators[i] = log(accumulators[i]) + maxima[i]
            }
        } else {
            forEachStridedOffset(shape: x.shape, strides: targetStrides) { source, target in
                accumulate(&accumulators[target], values[source])
            }
            for i in 0..<outCount {
                accumulators[i] = finish(accumulators[i], count: reducedCount)
            }
        }
        switch x.elementType {
        case .float:
            return [Tensor(shape: outShape, floats: accumulators.map { Float($0) })]
        case .int64, .string:
            return [Tensor(shape: outShape, ints: accumulators.map(Int64.init(clampingDouble:)))]
        }
    }

    private var initialValue: Double {
        switch reduction {
        case .max: -.infinity
        case .min: .infinity
        case .prod: 1
        default: 0
        }
    }

    @inline(__always)
    private func accumulate(_ accumulator: inout Double, _ value: Double) {
        switch reduction {
        case .mean, .sum, .logSumExp: accumulator += value
        case .max: accumulator = value.isNaN ? value : Swift.max(accumulator, value)
        case .min: accumulator = value.isNaN ? value : Swift.min(accumulator, value)
        case .prod: accumulator *= value
        case .sumSquare, .l2: accumulator += value * value
        case .l1: accumulator += Swift.abs(value)
        }
    }

    private func finish(_ accumulator: Double, count: Int) -> Double {
        switch reduction {
        case .mean: accumulator / Double(count)
        case .l2: accumulator.squareRoot()
        default: accumulator
        }
    }
}

extension Tensor {
    /// The values widened to double, for accumulation.
    var valuesAsDouble: [Double] {
        switch elementType {
        case .float: floats.map { Double($0) }
        case .int64: ints.map { Double($0) }
        case .string: [Double](repeating: .nan, count: strings.count)
        }
    }
}

/// ArgMax and ArgMin: the int64 index of the largest (smallest) value along `axis`.
///
/// Ties go to the first index, or the last with `select_last_index`.
struct ArgExtremumKernel: OperatorKernel {
    let largest: Bool
    let axis: Int
    let keepDimensions: Bool
    let selectLastIndex: Bool

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let x = try inputs.peek(0)
        let resolved = try normalizedAxis(axis, rank: x.rank)
        let extent = x.shape[resolved]
        guard extent > 0 else { throw .shape("cannot take Arg\(largest ? "Max" : "Min") over an empty axis") }
        let outer = x.shape[..<resolved].reduce(1, *)
        let inner = x.shape[(resolved + 1)...].reduce(1, *)
        let values = x.valuesAsDouble
        var indices = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * extent * inner + i
                var best = values[base]
                var bestIndex = 0
                for k in 1..<extent {
                    let value = values[base + k * inner]
                    let better = largest ? value > best : value < best
                    if better || (selectLastIndex && value == best) {
                        best = value
                        bestIndex = k
                    }
                }
                indices[o * inner + i] = Int64(bestIndex)
            }
        }
        var shape = x.shape
        if keepDimensions {
            shape[resolved] = 1
        } else {
            shape.remove(at: resolved)
        }
        return [Tensor(shape: shape, ints: indices)]
    }
}
