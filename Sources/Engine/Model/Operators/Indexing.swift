/// Gather: picks entries along `axis` by int64 indices (negative ones count from the end).
struct GatherKernel: OperatorKernel {
    let axis: Int

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let data = try inputs.peek(0)
        let indexTensor = try inputs.peek(1)
        guard indexTensor.elementType == .int64 else { throw .invalid("indices must be integers") }
        let resolved = try normalizedAxis(axis, rank: data.rank)
        let extent = data.shape[resolved]
        var indices = [Int](repeating: 0, count: indexTensor.count)
        for (i, raw) in indexTensor.ints.enumerated() {
            let index = raw < 0 ? Int(raw) + extent : Int(raw)
            guard index >= 0, index < extent else {
                throw .shape("index \(raw) is out of range for axis \(axis) of size \(extent)")
            }
            indices[i] = index
        }
        let outer = data.shape[..<resolved].reduce(1, *)
        let inner = data.shape[(resolved + 1)...].reduce(1, *)
        let shape = Array(data.shape[..<resolved]) + indexTensor.shape + Array(data.shape[(resolved + 1)...])
        func gather<T>(_ values: [T]) -> [T] {
            var result: [T] = []
            result.reserveCapacity(outer * indices.count * inner)
            for o in 0..<outer {
                for index in indices {
                    let start = (o * extent + index) * inner
                    result.append(contentsOf: values[start..<(start + inner)])
                }
            }
            return result
        }
        switch data.elementType {
        case .float: return [Tensor(shape: shape, floats: gather(data.floats))]
        case .int64: return [Tensor(shape: shape, ints: gather(data.ints))]
        case .string: return [Tensor(shape: shape, strings: gather(data.strings))]
        }
    }
}

/// Slice: `starts`/`ends`/`axes`/`steps` as attributes before opset 10, as inputs since.
struct SliceKernel: OperatorKernel {
    /// Attribute form (opset < 10): starts, ends and optional axes.
    let attributeStarts: [Int]?
    let attributeEnds: [Int]?
    let attributeAxes: [Int]?

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let data = try inputs.peek(0)
        let starts: [Int]
        let ends: [Int]
        let axes: [Int]?
        let steps: [Int]?
        if let attributeStarts, let attributeEnds {
            (starts, ends, axes, steps) = (attributeStarts, attributeEnds, attributeAxes, nil)
        } else {
            starts = try inputs.integers(1)
            ends = try inputs.integers(2)
            axes = inputs.has(3) ? try inputs.integers(3) : nil
            steps = inputs.has(4) ? try inputs.integers(4) : nil
        }
        guard starts.count == ends.count, (axes?.count ?? starts.count) == starts.count,
            (steps?.count ?? starts.count) == starts.count
        else {
            throw .invalid("starts, ends, axes and steps must have the same length")
        }
        var first = [Int](repeating: 0, count: data.rank)
        var step = [Int](repeating: 1, count: data.rank)
        var shape = data.shape
        for i in starts.indices {
            let axis = try normalizedAxis(axes?[i] ?? i, rank: data.rank)
            let extent = data.shape[axis]
            let stride = steps?[i] ?? 1
            guard stride != 0 else { throw .invalid("step must not be 0") }
            var start = starts[i] < 0 ? starts[i] &+ extent : starts[i]
            var end = ends[i] < 0 ? ends[i] &+ extent : ends[i]
            if stride > 0 {
                start = Swift.min(Swift.max(start, 0), extent)
                end = Swift.min(Swift.max(end, 0), extent)
                shape[axis] = end > start ? (end - start + stride - 1) / stride : 0
            } else {
                start = Swift.min(Swift.max(start, 0), extent - 1)
                end = Swift.min(Swift.max(end, -1), extent - 1)
                shape[axis] = start > end ? (start - end - stride - 1) / -stride : 0
            }
            first[axis] = start
            step[axis] = stride
        }
        let strides = data.shape.rowMajorStrides
        let stepStrides = zip(step, strides).map { $0 * $1 }
        let start = zip(first, strides).reduce(0) { $0 + $1.0 * $1.1 }
        func slice<T>(_ values: [T]) -> [T] { gatherStrided(values, shape: shape, strides: stepStrides, start: start) }
        switch data.elementType {
        case .float: return [Tensor(shape: shape, floats: slice(data.floats))]
        case .int64: return [Tensor(shape: shape, ints: slice(data.ints))]
        case .string: return [Tensor(shape: shape, strings: slice(data.strings))]
        }
    }
}

/// Concat: joins tensors of equal rank along `axis`; the other dimensions must agree.
struct ConcatKernel: OperatorKernel {
    let axis: Int

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        var parts: [Tensor] = []
        for index in 0..<inputs.count where inputs.has(index) {
            parts.append(try inputs.peek(index))
        }
        guard let reference = parts.first else { throw .invalid("Concat needs at least one input") }
        let resolved = try normalizedAxis(axis, rank: reference.rank)
        var shape = reference.shape
        shape[resolved] = 0
        for part in parts {
            guard part.elementType == reference.elementType else {
                throw .invalid("inputs have different element types (\(reference.elementType) and \(part.elementType))")
            }
            var other = part.shape
            guard other.count == reference.rank else {
                throw .shape("cannot concatenate \(reference.shape.shapeText) and \(part.shape.shapeText): ranks differ")
            }
            shape[resolved] += other[resolved]
            other[resolved] = reference.shape[resolved]
            guard other == reference.shape else {
                throw .shape("cannot concatenate \(reference.shape.shapeText) and \(part.shape.shapeText) along axis \(axis)")
            }
        }
        let outer = reference.shape[..<resolved].reduce(1, *)
        let inner = reference.shape[(resolved + 1)...].reduce(1, *)
        func concatenate<T>(_ arrays: [[T]]) -> [T] {
            var result: [T] = []
            result.reserveCapacity(shape.elementCount)
            for o in 0..<outer {
                for (part, values) in zip(parts, arrays) {
                    let block = part.shape[resolved] * inner
                    result.append(contentsOf: values[(o * block)..<((o + 1) * block)])
                }
            }
            return result
        }
        switch reference.elementType {
        case .float: return [Tensor(shape: shape, floats: concatenate(parts.map(\.floats)))]
        case .int64: return [Tensor(shape: shape, ints: concatenate(parts.map(\.ints)))]
        case .string: return [Tensor(shape: shape, strings: concatenate(parts.map(\.strings)))]
        }
    }
}

/// Transpose: permutes axes by `perm` (default: reversed).
struct TransposeKernel: OperatorKernel {
    let permutation: [Int]?

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let x = try inputs.peek(0)
        let perm = permutation ?? Array((0..<x.rank).reversed())
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else {
            throw .invalid("perm \(perm) is not a permutation of the \(x.rank) axes of \(x.shape.shapeText)")
        }
        let shape = perm.map { x.shape[$0] }
        let inputStrides = x.shape.rowMajorStrides
        let sourceStrides = perm.map { inputStrides[$0] }
        let count = x.count
        func transpose<T>(_ values: [T]) -> [T] {
            guard count > 0, !shape.isEmpty else { return values }
            if shape.count == 2 {
                let (rows, columns) = (shape[0], shape[1])
                var result: [T] = []
                result.reserveCapacity(count)
                for r in 0..<rows {
                    for c in 0..<columns {
                        result.append(values[r * sourceStrides[0] + c * sourceStrides[1]])
                    }
                }
                return result
            }
            return gatherStrided(values, shape: shape, strides: sourceStrides, start: 0)
        }
        switch x.elementType {
        case .float: return [Tensor(shape: shape, floats: transpose(x.floats))]
        case .int64: return [Tensor(shape: shape, ints: transpose(x.ints))]
        case .string: return [Tensor(shape: shape, strings: transpose(x.strings))]
        }
    }
}

/// Expand: broadcasts the input to a shape given as input 1 (NumPy rules, so the result may be larger than asked).
struct ExpandKernel: OperatorKernel {
    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let target = try inputs.integers(1)
        let x = try inputs.peek(0)
        guard let requested = target.checkedElementCount, requested < Int(Int32.max) else {
            throw .shape("target shape \(target.shapeText) has a negative dimension or is too large")
        }
        let shape = try Broadcast.shape(x.shape, target)
        switch x.elementType {
        case .float: return [Tensor(shape: shape, floats: Broadcast.expand(x.floats, from: x.shape, to: shape))]
        case .int64: return [Tensor(shape: shape, ints: Broadcast.expand(x.ints, from: x.shape, to: shape))]
        case .string: return [Tensor(shape: shape, strings: Broadcast.expand(x.strings, from: x.shape, to: shape))]
        }
    }
}

/// The elements of `values` that a row-major walk over `shape` reaches, starting at offset
/// `start` and moving `strides[axis]` per step along each axis: the gather behind Slice and
/// Transpose.
private func gatherStrided<T>(_ values: [T], shape: [Int], strides: [Int], start: Int) -> [T] {
    var result: [T] = []
    result.reserveCapacity(shape.elementCount)
    forEachStridedOffset(shape: shape, strides: strides, start: start) { _, offset in result.append(values[offset]) }
    return result
}

/// Calls `body(index, offset)` for every element of `shape` in row-major order: its index in that
/// order, and its offset in a tensor laid out with `strides` (from `start`). The walk behind
/// Slice and Transpose (gathering) and the reductions (scattering into their result).
@inline(__always)
func forEachStridedOffset(shape: [Int], strides: [Int], start: Int = 0, _ body: (Int, Int) -> Void) {
    let count = shape.elementCount
    guard count > 0 else { return }
    guard !shape.isEmpty else {
        body(0, start)
        return
    }
    var position = [Int](repeating: 0, count: shape.count)
    var offset = start
    let last = shape.count - 1
    for index in 0..<count {
        body(index, offset)
        var axis = last
        while axis >= 0 {
            position[axis] += 1
            offset += strides[axis]
            if position[axis] < shape[axis] { break }
            offset -= strides[axis] * shape[axis]
            position[axis] = 0
            axis -= 1
        }
    }
}
