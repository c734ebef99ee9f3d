/// Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor: broadcast comparisons producing booleans (int64 0/1).
struct ComparisonKernel: OperatorKernel {
    enum Relation: Sendable {
        case equal, less, greater, lessOrEqual, greaterOrEqual, and, or, xor
    }

    let relation: Relation

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let a = try inputs.peek(0)
        let b = try inputs.peek(1)
        let shape = try Broadcast.shape(a.shape, b.shape)
        let count = shape.elementCount
        // Compare in double so that mixed or int64 operands need one code path; int64 values here are small.
        let left = a.valuesAsDouble
        let right = b.valuesAsDouble
        let relation = self.relation
        let result = left.withUnsafeBufferPointer { l in
            right.withUnsafeBufferPointer { r in
                [Double](unsafeUninitializedCapacity: count) { out, initialized in
                    Broadcast.combine(l, a.shape, r, b.shape, into: out, shape: shape) { x, y in
                        let holds: Bool
                        switch relation {
                        case .equal: holds = x == y
                        case .less: holds = x < y
                        case .greater: holds = x > y
                        case .lessOrEqual: holds = x <= y
                        case .greaterOrEqual: holds = x >= y
                        case .and: holds = x != 0 && y != 0
                        case .or: holds = x != 0 || y != 0
                        case .xor: holds = (x != 0) != (y != 0)
                        }
                        return holds ? 1 : 0
                    }
                    initialized = count
                }
            }
        }
        return [Tensor(shape: shape, ints: result.map { $0 != 0 ? 1 : 0 })]
    }
}

/// Not: logical negation of a boolean (int64 0/1) tensor.
struct NotKernel: OperatorKernel {
    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let x = try inputs.peek(0)
        return [Tensor(shape: x.shape, ints: x.valuesAsInt64.map { $0 == 0 ? 1 : 0 })]
    }
}

/// Where: picks from X where the condition holds and from Y elsewhere, all three broadcast together.
struct WhereKernel: OperatorKernel {
    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let condition = try inputs.peek(0)
        let x = try inputs.peek(1)
        let y = try inputs.peek(2)
        guard x.elementType == y.elementType else {
            throw .invalid("X and Y have different element types (\(x.elementType) and \(y.elementType))")
        }
        let shape = try Broadcast.shape(condition.shape, try Broadcast.shape(x.shape, y.shape))
        let mask = Broadcast.expand(condition.valuesAsInt64, from: condition.shape, to: shape)
        func select<T>(_ xValues: [T], _ yValues: [T]) -> [T] {
            let expandedX = Broadcast.expand(xValues, from: x.shape, to: shape)
            let expandedY = Broadcast.expand(yValues, from: y.shape, to: shape)
            return mask.indices.map { mask[$0] != 0 ? expandedX[$0] : expandedY[$0] }
        }
        switch x.elementType {
        case .float: return [Tensor(shape: shape, floats: select(x.floats, y.floats))]
        case .int64: return [Tensor(shape: shape, ints: select(x.ints, y.ints))]
        case .string: return [Tensor(shape: shape, strings: select(x.strings, y.strings))]
        }
    }
}
