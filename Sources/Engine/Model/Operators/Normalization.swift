/// BatchNormalization at inference: `(x − mean) / √(var + ε) · scale + bias` per channel (axis 1).
///
/// Also accepts the pre-opset-9 `spatial = 0` layout, where the statistics
/// cover every feature after the batch axis rather than only channels.
struct BatchNormalizationKernel: OperatorKernel {
    let epsilon: Float

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        var x = try inputs.take(0)
        let scale = try inputs.floatInput(1).floats
        let bias = try inputs.floatInput(2).floats
        let mean = try inputs.floatInput(3).floats
        let variance = try inputs.floatInput(4).floats
        guard x.elementType == .float else { throw .invalid("X must be float") }
        guard x.rank >= 2 else { throw .shape("X must have rank 2 or more, got \(x.shape.shapeText)") }
        let channels = x.shape[1]
        let features = x.shape[1...].reduce(1, *)
        let groups: Int
        let inner: Int
        if scale.count == channels {
            groups = channels
            inner = features / Swift.max(channels, 1)
        } else if scale.count == features {
            groups = features
            inner = 1
        } else {
            throw .shape("scale has \(scale.count) values but X \(x.shape.shapeText) has \(channels) channels")
        }
        guard bias.count == groups, mean.count == groups, variance.count == groups else {
            throw .shape(
                "scale, B, mean and var must all have \(groups) values (got \(scale.count), \(bias.count), \(mean.count), \(variance.count))"
            )
        }
        // Folding the four parameters into one multiply-add per element.
        var multiplier = [Float](repeating: 0, count: groups)
        var offset = [Float](repeating: 0, count: groups)
        for g in 0..<groups {
            multiplier[g] = scale[g] / (variance[g] + epsilon).squareRoot()
            offset[g] = bias[g] - mean[g] * multiplier[g]
        }
        let batch = x.shape[0]
        x.floats.withUnsafeMutableBufferPointer { values in
            for n in 0..<batch {
                for g in 0..<groups {
                    let start = (n * groups + g) * inner
                    let a = multiplier[g]
                    let b = offset[g]
                    for i in start..<(start + inner) {
                        values[i] = values[i] * a + b
                    }
                }
            }
        }
        return [x]
    }
}

/// LayerNormalization (opset 17): normalises over the axes from `axis` on, then applies Scale and B.
///
/// The optional Mean and InvStdDev outputs are produced when the node names them.
struct LayerNormalizationKernel: OperatorKernel {
    let axis: Int
    let epsilon: Float
    let producesStatistics: Bool

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        var x = try inputs.take(0)
        guard x.elementType == .float else { throw .invalid("X must be float") }
        let scale = try inputs.floatInput(1)
        let bias = try inputs.optional(2).map { (b: Tensor) throws(OperatorError) -> Tensor in
            guard b.elementType == .float else { throw .invalid("B must be float") }
            return b
        }
        let resolved = try normalizedAxis(axis, rank: x.rank)
        let outer = x.shape[..<resolved].reduce(1, *)
        let size = x.shape[resolved...].reduce(1, *)
        for (name, parameter) in [("Scale", scale), ("B", bias)] {
            guard let parameter else { continue }
            guard parameter.count == size || parameter.count == 1 else {
                throw .shape(
                    "\(name) of shape \(parameter.shape.shapeText) does not match the normalised shape \(Array(x.shape[resolved...]).shapeText)"
                )
            }
        }
        var means = [Float](repeating: 0, count: outer)
        var inverseDeviations = [Float](repeating: 0, count: outer)
        let scaleValues = scale.floats
        let biasValues = bias?.floats ?? [0]
        let epsilon = Double(self.epsilon)
        x.floats.withUnsafeMutableBufferPointer { values in
            for o in 0..<outer {
                let base = o * size
                var sum = 0.0
                for i in base..<(base + size) {
                    sum += Double(values[i])
                }
                let mean = sum / Double(size)
                var squares = 0.0
                for i in base..<(base + size) {
                    let d = Double(values[i]) - mean
                    squares += d * d
                }
                let inverse = 1 / (squares / Double(size) + epsilon).squareRoot()
                means[o] = Float(mean)
                inverseDeviations[o] = Float(inverse)
                for i in 0..<size {
                    let normalised = Float((Double(values[base + i]) - mean) * inverse)
                    let s = scaleValues.count == 1 ? scaleValues[0] : scaleValues[i]
                    let b = biasValues.count == 1 ? biasValues[0] : biasValues[i]
                    values[base + i] = normalised * s + b
                }
            }
        }
        guard producesStatistics else { return [x] }
        let statisticsShape = Array(x.shape[..<resolved]) + [Int](repeating: 1, count: x.rank - resolved)
        return [
            x,
            Tensor(shape: statisticsShape, floats: means),
            Tensor(shape: statisticsShape, floats: inverseDeviations),
        ]
    }
}
