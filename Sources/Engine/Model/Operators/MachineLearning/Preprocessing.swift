/// ONNX-ML Scaler: `Y = (X − offset) · scale`, per feature or one value for all.
struct ScalerKernel: OperatorKernel {
    let offset: [Float]
    let scale: [Float]

    init(_ context: NodeContext) throws(OperatorError) {
        offset = try context.attributes.floats("offset") ?? [0]
        scale = try context.attributes.floats("scale") ?? [1]
        guard !offset.isEmpty, !scale.isEmpty else { throw .invalid("Scaler needs 'offset' and 'scale' values") }
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let (input, rows, width) = try machineLearningRows(inputs)
        for (name, values) in [("offset", offset), ("scale", scale)] where values.count != 1 && values.count != width {
            throw .shape("\(name) has \(values.count) values for \(width) features")
        }
        var output = input.floats
        for row in 0..<rows {
            for feature in 0..<width {
                let k = row * width + feature
                output[k] = (output[k] - offset[offset.count == 1 ? 0 : feature]) * scale[scale.count == 1 ? 0 : feature]
            }
        }
        return [Tensor(shape: input.shape, floats: output)]
    }
}

/// ONNX-ML Normalizer: each row divided by its largest value (`MAX`), the sum of its absolute
/// values (`L1`) or its Euclidean norm (`L2`); a row whose norm is 0 is left as it is.
struct NormalizerKernel: OperatorKernel {
    enum Norm: String {
        case max = "MAX"
        case l1 = "L1"
        case l2 = "L2"
    }

    let norm: Norm

    init(_ context: NodeContext) throws(OperatorError) {
        let name = try context.attributes.string("norm", default: "MAX")
        guard let norm = Norm(rawValue: name) else { throw .invalid("norm '\(name)' is not MAX, L1 or L2") }
        self.norm = norm
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let (input, rows, width) = try machineLearningRows(inputs)
        var output = input.floats
        for row in 0..<rows {
            let values = output[(row * width)..<((row + 1) * width)]
            let divisor: Float
            switch norm {
            case .max: divisor = values.reduce(-Float.greatestFiniteMagnitude) { Swift.max($0, $1) }
            case .l1: divisor = values.reduce(0) { $0 + abs($1) }
            case .l2: divisor = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            }
            guard divisor != 0 else { continue }
            for k in (row * width)..<((row + 1) * width) { output[k] /= divisor }
        }
        return [Tensor(shape: input.shape, floats: output)]
    }
}

/// ONNX-ML Imputer: every value equal to `replaced_value_float` (NaN when that is NaN, the
/// default) becomes the feature's `imputed_value_floats` entry (or the one value for all).
struct ImputerKernel: OperatorKernel {
    let imputed: [Float]
    let replaced: Float

    init(_ context: NodeContext) throws(OperatorError) {
        imputed = try context.attributes.floats("imputed_value_floats") ?? []
        guard !imputed.isEmpty else {
            throw .invalid("Imputer needs imputed_value_floats (integer imputation, imputed_value_int64s, is not supported)")
        }
        replaced = try context.attributes.float("replaced_value_float", default: .nan)
    }

    /// Whether a missing value (NaN) is what this imputer replaces.
    var replacesMissingValues: Bool { replaced.isNaN }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let (input, rows, width) = try machineLearningRows(inputs)
        guard imputed.count == 1 || imputed.count == width else {
            throw .shape("imputed_value_floats has \(imputed.count) values for \(width) features")
        }
        var output = input.floats
        for row in 0..<rows {
            for feature in 0..<width {
                let k = row * width + feature
                if replaced.isNaN ? output[k].isNaN : output[k] == replaced {
                    output[k] = imputed[imputed.count == 1 ? 0 : feature]
                }
            }
        }
        return [Tensor(shape: input.shape, floats: output)]
    }
}
