/// Reshape: target shape from input 1; 0 copies the input's dimension (unless `allowzero`), -1 is inferred.
struct ReshapeKernel: OperatorKernel {
    let allowZero: Bool

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let requested = try inputs.integers(1)
        let x = try inputs.take(0)
        var shape = requested
        var inferred: Int?
        for (axis, dimension) in requested.enumerated() {
            switch dimension {
            case 0 where !allowZero:
                guard axis < x.rank else {
                    throw .shape(
                        "target shape \(requested.shapeText) copies dimension \(axis) from input \(x.shape.shapeText), which has no such axis"
                    )
                }
                shape[axis] = x.shape[axis]
            case -1:
                guard inferred == nil else { throw .shape("target shape \(requested.shapeText) has more than one -1") }
                inferred = axis
            case ..<0:
                throw .shape("target shape \(requested.shapeText) has a negative dimension")
            default:
                break
            }
        }
        guard shape.map({ $0 < 0 ? 1 : $0 }).checkedElementCount != nil else {
            throw .shape("target shape \(requested.shapeText) is too large")
        }
        if let inferred {
            shape[inferred] = 1
            let known = shape.elementCount
            guard known > 0, x.count % known == 0 else {
                throw .shape("cannot reshape \(x.shape.shapeText) (\(x.count) values) to \(requested.shapeText)")
            }
            shape[inferred] = x.count / known
        }
        guard shape.elementCount == x.count else {
            throw .shape("cannot reshape \(x.shape.shapeText) (\(x.count) values) to \(requested.shapeText)")
        }
        return [x.reshaped(to: shape)]
    }
}

/// Flatten: `[d0 … d(axis-1), d(axis) … dn]` to the 2-D `[product before axis, product from axis]`.
struct FlattenKernel: OperatorKernel {
    let axis: Int

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let x = try inputs.take(0)
        let split = try normalizedAxis(axis, rank: x.rank, allowingEnd: true)
        return [x.reshaped(to: [x.shape[..<split].reduce(1, *), x.shape[split...].reduce(1, *)])]
    }
}

/// Squeeze: removes the listed size-1 axes (attribute before opset 13, input since), or every size-1 axis.
struct SqueezeKernel: OperatorKernel {
    let attributeAxes: [Int]?

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let axes = inputs.has(1) ? try inputs.integers(1) : attributeAxes
        let x = try inputs.take(0)
        guard let axes, !axes.isEmpty else {
            return [x.reshaped(to: x.shape.filter { $0 != 1 })]
        }
        var removed = Set<Int>()
        for axis in axes {
            let resolved = try normalizedAxis(axis, rank: x.rank)
            guard x.shape[resolved] == 1 else {
                throw .shape("cannot squeeze axis \(axis) of \(x.shape.shapeText): its size is not 1")
            }
            removed.insert(resolved)
        }
        return [x.reshaped(to: x.shape.indices.filter { !removed.contains($0) }.map { x.shape[$0] })]
    }
}

/// Unsqueeze: inserts size-1 axes at the listed positions of the output (attribute before opset 13, input since).
struct UnsqueezeKernel: OperatorKernel {
    let attributeAxes: [Int]?

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let axes = inputs.has(1) ? try inputs.integers(1) : (attributeAxes ?? [])
        let x = try inputs.take(0)
        let outRank = x.rank + axes.count
        var inserted = Set<Int>()
        for axis in axes {
            let resolved = try normalizedAxis(axis, rank: outRank)
            guard inserted.insert(resolved).inserted else {
                throw .invalid("axes \(axes) name axis \(axis) twice")
            }
        }
        var shape: [Int] = []
        var next = 0
        for axis in 0..<outRank {
            if inserted.contains(axis) {
                shape.append(1)
            } else {
                shape.append(x.shape[next])
                next += 1
            }
        }
        return [x.reshaped(to: shape)]
    }
}

/// Shape: the input's shape as int64, optionally sliced by `start`/`end` (opset 15).
struct ShapeKernel: OperatorKernel {
    let start: Int
    let end: Int?

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let shape = try inputs.peek(0).shape
        let rank = shape.count
        func clamp(_ value: Int) -> Int { Swift.min(Swift.max(value < 0 ? value + rank : value, 0), rank) }
        let from = clamp(start)
        let to = clamp(end ?? rank)
        let dims = from < to ? shape[from..<to].map { Int64($0) } : []
        return [Tensor(vector: dims)]
    }
}

/// Size: the input's element count as an int64 scalar.
struct SizeKernel: OperatorKernel {
    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        [Tensor(shape: [], ints: [Int64(try inputs.peek(0).count)])]
    }
}
