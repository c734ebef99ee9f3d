/// The rows of an ONNX-ML operator's float input: `[N, C]` (or `[C]`, one row), with their count
/// and width.
func machineLearningRows(_ inputs: KernelInputs) throws(OperatorError) -> (tensor: Tensor, rows: Int, width: Int) {
    let input = try inputs.floatInput(0)
    guard input.rank == 1 || input.rank == 2 else {
        throw .shape("input has shape \(input.shape.shapeText); expected [N, features]")
    }
    let rows = input.rank == 1 ? 1 : input.shape[0]
    return (input, rows, input.rank == 1 ? input.count : input.shape[1])
}

/// `X · coefficientsᵀ + intercepts` for every row: `[rows, outputs]`, each sum in float in feature
/// order, as a float GEMM computes it.
private func affine(_ x: [Float], rows: Int, width: Int, coefficients: [Float], intercepts: [Float], outputs: Int) -> [Float] {
    var result = [Float](repeating: 0, count: rows * outputs)
    for row in 0..<rows {
        for output in 0..<outputs {
            var sum: Float = 0
            for feature in 0..<width { sum += x[row * width + feature] * coefficients[output * width + feature] }
            result[row * outputs + output] = sum + intercepts[output]
        }
    }
    return result
}

/// Checks that `coefficients` holds `outputs` rows of the input's width.
private func checkCoefficients(_ coefficients: [Float], outputs: Int, width: Int) throws(OperatorError) {
    guard coefficients.count == outputs * width else {
        throw .shape("coefficients hold \(coefficients.count) values, not \(outputs) × \(width) for \(width) features")
    }
}

/// ONNX-ML LinearRegressor: `Y = X · coefficientsᵀ + intercepts`, `[N, targets]`; with several
/// targets the post transform follows, with one only PROBIT (onnxruntime's rule).
struct LinearRegressorKernel: OperatorKernel {
    let coefficients: [Float]
    let intercepts: [Float]
    let targets: Int
    let transform: PostTransform

    init(_ context: NodeContext) throws(OperatorError) {
        coefficients = try context.attributes.floats("coefficients") ?? []
        targets = try context.attributes.int("targets", default: 1)
        guard targets >= 1, targets <= TreeForest.maximumTargets else {
            throw .invalid("targets is \(targets); 1 to \(TreeForest.maximumTargets) are supported")
        }
        intercepts = try context.attributes.floats("intercepts") ?? [Float](repeating: 0, count: targets)
        guard intercepts.count == targets else { throw .invalid("intercepts has \(intercepts.count) values for \(targets) targets") }
        transform = try PostTransform(context)
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let (input, rows, width) = try machineLearningRows(inputs)
        try checkCoefficients(coefficients, outputs: targets, width: width)
        var values = affine(input.floats, rows: rows, width: width, coefficients: coefficients, intercepts: intercepts, outputs: targets)
        values.withUnsafeMutableBufferPointer { values in
            for row in 0..<rows {
                let scores = UnsafeMutableBufferPointer(rebasing: values[(row * targets)..<((row + 1) * targets)])
                if targets > 1 {
                    transform.apply(to: scores)
                } else if transform == .probit {
                    scores[0] = PostTransform.probit(scores[0])
                }
            }
        }
        return [Tensor(shape: [rows, targets], floats: values)]
    }
}

/// ONNX-ML LinearClassifier: class scores `X · coefficientsᵀ + intercepts`, then the post
/// transform; outputs the label `[N]` (int64; for string labels the label's index) and the
/// scores. One row of coefficients with two labels gives `[1 − s, s]`, as onnxruntime does.
struct LinearClassifierKernel: OperatorKernel {
    let coefficients: [Float]
    let intercepts: [Float]
    let transform: PostTransform
    /// `classlabels_ints`, or nil when the labels are strings.
    let integerLabels: [Int64]?
    let labelCount: Int

    init(_ context: NodeContext) throws(OperatorError) {
        coefficients = try context.attributes.floats("coefficients") ?? []
        intercepts = try context.attributes.floats("intercepts") ?? []
        guard !intercepts.isEmpty else { throw .invalid("a LinearClassifier needs intercepts, one per class") }
        let strings = try context.attributes.strings("classlabels_strings") ?? []
        let ints = try context.attributes.ints("classlabels_ints") ?? []
        integerLabels = strings.isEmpty ? ints.map(Int64.init) : nil
        labelCount = strings.isEmpty ? ints.count : strings.count
        guard labelCount >= 2 else { throw .invalid("a LinearClassifier needs at least 2 class labels, got \(labelCount)") }
        guard labelCount == intercepts.count || (intercepts.count == 1 && labelCount == 2) else {
            throw .invalid("\(labelCount) class labels for \(intercepts.count) rows of coefficients")
        }
        transform = try PostTransform(context)
    }

    private func label(_ index: Int) -> Int64 {
        integerLabels.map { $0[index] } ?? Int64(index)
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let (input, rows, width) = try machineLearningRows(inputs)
        let classes = intercepts.count
        try checkCoefficients(coefficients, outputs: classes, width: width)
        var scores = affine(input.floats, rows: rows, width: width, coefficients: coefficients, intercepts: intercepts, outputs: classes)
        var labels = [Int64](repeating: 0, count: rows)
        if classes == 1 {
            // One score a row: the second label when it is positive; written out as [1 − s, s].
            var two = [Float](repeating: 0, count: rows * 2)
            for row in 0..<rows {
                let score = scores[row]
                labels[row] = score > 0 ? label(1) : label(0)
                if transform == .probit {
                    two[row * 2] = PostTransform.probit(score)
                } else {
                    (two[row * 2], two[row * 2 + 1]) = (1 - score, score)
                }
            }
            return [Tensor(shape: [rows], ints: labels), Tensor(shape: [rows, 2], floats: two)]
        }
        scores.withUnsafeMutableBufferPointer { scores in
            for row in 0..<rows {
                let rowScores = UnsafeMutableBufferPointer(rebasing: scores[(row * classes)..<((row + 1) * classes)])
                var best = 0
                for k in 1..<classes where rowScores[k] > rowScores[best] { best = k }
                labels[row] = label(best)
                transform.apply(to: rowScores)
            }
        }
        return [Tensor(shape: [rows], ints: labels), Tensor(shape: [rows, classes], floats: scores)]
    }
}
