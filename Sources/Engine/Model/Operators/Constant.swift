/// Constant: one of `value`, `value_float(s)`, `value_int(s)`; always folded at load time.
struct ConstantKernel: OperatorKernel {
    let value: Tensor

    init(_ attributes: NodeAttributes) throws(OperatorError) {
        if let tensor = try attributes.tensor("value") {
            value = tensor
        } else if let float = try attributes.optionalFloat("value_float") {
            value = Tensor(shape: [], floats: [float])
        } else if let floats = try attributes.floats("value_floats") {
            value = Tensor(shape: [floats.count], floats: floats)
        } else if let int = try attributes.optionalInt("value_int") {
            value = Tensor(shape: [], ints: [Int64(int)])
        } else if let ints = try attributes.ints("value_ints") {
            value = Tensor(vector: ints.map { Int64($0) })
        } else {
            throw .invalid(
                "Constant needs a 'value', 'value_float(s)' or 'value_int(s)' attribute (sparse and string constants are not supported)"
            )
        }
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        [value]
    }
}

/// ConstantOfShape: a tensor of the given shape filled with `value` (float 0 by default).
struct ConstantOfShapeKernel: OperatorKernel {
    let fill: Tensor?

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let shape = try inputs.integers(0)
        guard let count = shape.checkedElementCount, count < Int(Int32.max) else {
            throw .shape("shape \(shape.shapeText) has a negative dimension or is too large")
        }
        guard let fill else {
            return [Tensor(shape: shape, floats: [Float](repeating: 0, count: count))]
        }
        guard fill.count == 1 else { throw .invalid("'value' must hold exactly one element") }
        switch fill.elementType {
        case .float: return [Tensor(shape: shape, floats: [Float](repeating: fill.floats[0], count: count))]
        case .int64: return [Tensor(shape: shape, ints: [Int64](repeating: fill.ints[0], count: count))]
        case .string: return [Tensor(shape: shape, strings: [String](repeating: fill.strings[0], count: count))]
        }
    }
}

/// Range: `start, start + delta, …` up to but excluding `limit`.
struct RangeKernel: OperatorKernel {
    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let start = try inputs.peek(0)
        let limit = try inputs.peek(1)
        let delta = try inputs.peek(2)
        guard start.count == 1, limit.count == 1, delta.count == 1 else {
            throw .shape("start, limit and delta must be scalars")
        }
        switch start.elementType {
        case .float:
            let (first, end, step) = (start.floats[0], limit.valuesAsFloat[0], delta.valuesAsFloat[0])
            guard step != 0 else { throw .invalid("delta must not be 0") }
            let steps = ((end - first) / step).rounded(.up)
            guard steps.isFinite, steps < 1e9 else { throw .invalid("range \(first) ..< \(end) by \(step) is not finite") }
            let count = Swift.max(Int(steps), 0)
            return [Tensor(shape: [count], floats: (0..<count).map { first + Float($0) * step })]
        case .int64:
            let (first, end, step) = (start.ints[0], limit.valuesAsInt64[0], delta.valuesAsInt64[0])
            guard step != 0 else { throw .invalid("delta must not be 0") }
            let span = end.subtractingReportingOverflow(first)
            let quotient = span.partialValue.dividedReportingOverflow(by: step)
            guard !span.overflow, !quotient.overflow, quotient.partialValue < 1_000_000_000 else {
                throw .invalid("range \(first) ..< \(end) by \(step) is too long")
            }
            let remainder = span.partialValue % step
            let count = Swift.max(Int(quotient.partialValue) + (remainder == 0 ? 0 : 1), 0)
            return [Tensor(shape: [count], ints: (0..<count).map { first + Int64($0) * step })]
        case .string:
            throw .invalid("Range does not take strings")
        }
    }
}
