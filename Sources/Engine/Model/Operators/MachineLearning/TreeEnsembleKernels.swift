/// Reads the node's tree attributes into a listing. `weightPrefix` is `target` (regressor) or
/// `class` (classifier). Doubles given `*_as_tensor` (ml opset 3) are read as float, which is
/// how onnxruntime compares a float input's values with them.
private func treeListing(_ context: NodeContext, weightPrefix: String) throws(OperatorError) -> TreeEnsembleListing {
    let attributes = context.attributes
    func ints(_ name: String) throws(OperatorError) -> [Int] { try attributes.ints(name) ?? [] }
    func floats(_ name: String) throws(OperatorError) -> [Float] {
        if let tensor = try attributes.tensor(name + "_as_tensor") { return tensor.valuesAsFloat }
        return try attributes.floats(name) ?? []
    }
    return TreeEnsembleListing(
        treeIDs: try ints("nodes_treeids"),
        nodeIDs: try ints("nodes_nodeids"),
        featureIDs: try ints("nodes_featureids"),
        modes: try attributes.strings("nodes_modes") ?? [],
        thresholds: try floats("nodes_values"),
        trueNodeIDs: try ints("nodes_truenodeids"),
        falseNodeIDs: try ints("nodes_falsenodeids"),
        missingTracksTrue: try ints("nodes_missing_value_tracks_true"),
        weightTreeIDs: try ints("\(weightPrefix)_treeids"),
        weightNodeIDs: try ints("\(weightPrefix)_nodeids"),
        weightTargets: try ints("\(weightPrefix)_ids"),
        weights: try floats("\(weightPrefix)_weights")
    )
}

/// `base_values`, or `base_values_as_tensor` (ml opset 3) read as float.
private func treeBaseValues(_ context: NodeContext) throws(OperatorError) -> [Float] {
    if let tensor = try context.attributes.tensor("base_values_as_tensor") { return tensor.valuesAsFloat }
    return try context.attributes.floats("base_values") ?? []
}

/// The rows of a tree ensemble's input: `[N, F]` float (or `[F]`, one row), with every feature
/// the trees read.
private func treeInput(_ inputs: KernelInputs, forest: TreeForest) throws(OperatorError) -> (tensor: Tensor, rows: Int, stride: Int) {
    let (input, rows, stride) = try machineLearningRows(inputs)
    guard stride > 0, rows > 0 else { throw .shape("input has shape \(input.shape.shapeText): no rows or no features") }
    guard forest.featuresRead <= stride else {
        throw .shape("the trees read feature \(forest.featuresRead - 1), but the input has \(stride) features per row")
    }
    return (input, rows, stride)
}

/// ONNX-ML TreeEnsembleRegressor (ml opsets 1 and 3): `Y = aggregate(leaf weights) + base_values`,
/// `[N, n_targets]` float.
struct TreeEnsembleRegressorKernel: OperatorKernel {
    let forest: TreeForest
    let aggregation: TreeAggregation
    let transform: PostTransform
    let baseValues: [Float]

    init(forest: TreeForest, aggregation: TreeAggregation, transform: PostTransform, baseValues: [Float]) {
        self.forest = forest
        self.aggregation = aggregation
        self.transform = transform
        self.baseValues = baseValues
    }

    init(_ context: NodeContext) throws(OperatorError) {
        let targets = try context.attributes.int("n_targets", default: 1)
        forest = try TreeForest(treeListing(context, weightPrefix: "target"), targetCount: targets)
        let aggregationName = try context.attributes.string("aggregate_function", default: "SUM")
        guard let aggregation = TreeAggregation(rawValue: aggregationName) else {
            throw .invalid("aggregate_function '\(aggregationName)' is not SUM, AVERAGE, MIN or MAX")
        }
        self.aggregation = aggregation
        transform = try PostTransform(context)
        baseValues = try treeBaseValues(context)
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let (input, rows, stride) = try treeInput(inputs, forest: forest)
        let targets = forest.targetCount
        var scores = [Float](repeating: 0, count: rows * targets)
        var hasScore = [Bool](repeating: false, count: rows * targets)
        input.floats.withUnsafeBufferPointer { x in
            scores.withUnsafeMutableBufferPointer { scores in
                hasScore.withUnsafeMutableBufferPointer { hasScore in
                    forest.accumulate(
                        rows: x.baseAddress!, rowCount: rows, stride: stride, aggregation: aggregation,
                        scores: scores.baseAddress!, hasScore: hasScore.baseAddress!)
                    for row in 0..<rows {
                        finalize(
                            UnsafeMutableBufferPointer(rebasing: scores[(row * targets)..<((row + 1) * targets)]),
                            has: UnsafeBufferPointer(rebasing: hasScore[(row * targets)..<((row + 1) * targets)]))
                    }
                }
            }
        }
        return [Tensor(shape: [rows, targets], floats: scores)]
    }

    /// onnxruntime's finalisation: one target gets `base_values[0]` and only PROBIT; several get
    /// their base values (when there is one per target) and then the post transform.
    private func finalize(_ scores: UnsafeMutableBufferPointer<Float>, has: UnsafeBufferPointer<Bool>) {
        let trees = Float(forest.treeCount)
        if scores.count == 1 {
            let origin = baseValues.count == 1 ? baseValues[0] : 0
            switch aggregation {
            case .sum: scores[0] += origin
            case .average: scores[0] = scores[0] / trees + origin
            case .minimum, .maximum: scores[0] = has[0] ? scores[0] + origin : origin
            }
            if transform == .probit { scores[0] = PostTransform.probit(scores[0]) }
            return
        }
        let useBase = baseValues.count == scores.count
        for k in scores.indices {
            let base = useBase ? baseValues[k] : 0
            switch aggregation {
            case .sum: scores[k] += base
            case .average: scores[k] = scores[k] / trees + base
            case .minimum, .maximum: scores[k] = base + (has[k] ? scores[k] : 0)
            }
        }
        transform.apply(to: scores)
    }
}

/// ONNX-ML TreeEnsembleClassifier (ml opsets 1 and 3): outputs the label `[N]` (int64; for
/// string class labels, the label's index) and the class scores `[N, classes]`, with
/// onnxruntime's conventions for two classes whose trees vote for one class only.
struct TreeEnsembleClassifierKernel: OperatorKernel {
    let forest: TreeForest
    let transform: PostTransform
    let baseValues: [Float]
    /// `classlabels_int64s`, or nil when the labels are strings.
    let integerLabels: [Int64]?
    /// Two classes and every weight for one of them: the other's score is derived.
    let votesForOneClass: Bool
    let weightsAreAllPositive: Bool

    init(_ context: NodeContext) throws(OperatorError) {
        let stringLabels = try context.attributes.strings("classlabels_strings") ?? []
        let intLabels = try context.attributes.ints("classlabels_int64s") ?? []
        let classes = stringLabels.isEmpty ? intLabels.count : stringLabels.count
        guard classes >= 2 else {
            throw .invalid(
                "a TreeEnsembleClassifier needs at least 2 class labels (classlabels_int64s or classlabels_strings), got \(classes)")
        }
        let listing = try treeListing(context, weightPrefix: "class")
        forest = try TreeForest(listing, targetCount: classes)
        transform = try PostTransform(context)
        baseValues = try treeBaseValues(context)
        integerLabels = stringLabels.isEmpty ? intLabels.map(Int64.init) : nil
        votesForOneClass = classes == 2 && Set(listing.weightTargets).count == 1
        weightsAreAllPositive = listing.weights.allSatisfy { $0 >= 0 }
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let (input, rows, stride) = try treeInput(inputs, forest: forest)
        let classes = forest.targetCount
        var scores = [Float](repeating: 0, count: rows * classes)
        var hasScore = [Bool](repeating: false, count: rows * classes)
        var labels = [Int64](repeating: 0, count: rows)
        input.floats.withUnsafeBufferPointer { x in
            scores.withUnsafeMutableBufferPointer { scores in
                hasScore.withUnsafeMutableBufferPointer { hasScore in
                    forest.accumulate(
                        rows: x.baseAddress!, rowCount: rows, stride: stride, aggregation: .sum,
                        scores: scores.baseAddress!, hasScore: hasScore.baseAddress!)
                    for row in 0..<rows {
                        labels[row] = finalize(
                            UnsafeMutableBufferPointer(rebasing: scores[(row * classes)..<((row + 1) * classes)]),
                            has: UnsafeMutableBufferPointer(rebasing: hasScore[(row * classes)..<((row + 1) * classes)]))
                    }
                }
            }
        }
        return [Tensor(shape: [rows], ints: labels), Tensor(shape: [rows, classes], floats: scores)]
    }

    private func label(_ index: Int) -> Int64 {
        integerLabels.map { $0[index] } ?? Int64(index)
    }

    /// One row: adds base values, picks the label, applies the transform; returns the label.
    private func finalize(_ scores: UnsafeMutableBufferPointer<Float>, has: UnsafeMutableBufferPointer<Bool>) -> Int64 {
        if scores.count > 2 {
            for k in 0..<min(baseValues.count, scores.count) {
                scores[k] = has[k] ? scores[k] + baseValues[k] : baseValues[k]
                has[k] = true
            }
            var best = -1
            for k in scores.indices where has[k] && (best < 0 || scores[k] > scores[best]) { best = k }
            transform.apply(to: scores)
            return label(max(best, 0))
        }
        // Two classes. onnxruntime keeps one score when only the first class received votes and
        // derives the second from it; `secondScore` says how (see `twoScores`).
        var keepsBoth = true
        var derivation = Derivation.unset
        switch baseValues.count {
        case 2:
            if has[1] {
                // onnxruntime adds base_values[1] to the first class's sum here (it assumes both
                // base values are equal); kept for identical results.
                scores[1] = baseValues[1] + scores[0]
                scores[0] = -scores[1]
            } else {
                scores[1] += baseValues[1]
                scores[0] += baseValues[0]
            }
        case 1:
            scores[0] += baseValues[0]
            keepsBoth = has[1]
        case 0:
            derivation = .negatedSecond
            keepsBoth = has[1]
        default:
            break
        }
        let positiveWeight = keepsBoth && has[1] ? scores[1] : (has[0] ? scores[0] : 0)
        let chosen: Int64
        if votesForOneClass {
            if weightsAreAllPositive {
                derivation = .complement
                chosen = positiveWeight > 0.5 ? label(1) : label(0)
            } else {
                derivation = positiveWeight > 0 ? .mirrored : .negatedSecond
                chosen = positiveWeight > 0 ? label(1) : label(0)
            }
        } else {
            chosen = positiveWeight > 0 ? 1 : 0
        }
        if keepsBoth {
            transform.apply(to: scores)
        } else {
            let score = scores[0]
            (scores[0], scores[1]) = derivation.twoScores(from: score, transform: transform)
        }
        return chosen
    }

    /// How the two class scores come from the single score of a one-class vote (onnxruntime's
    /// `write_scores` with one score).
    private enum Derivation {
        /// Probabilities: `[1 − s, s]`.
        case complement
        /// Margins, the second class winning: `[−s, s]` (or logistic of each).
        case mirrored
        /// Margins, the first class winning: `[s, −s]` (or logistic of `−s` and `s`).
        case negatedSecond
        /// No convention applies: the score alone, and 0.
        case unset

        func twoScores(from score: Float, transform: PostTransform) -> (Float, Float) {
            if transform == .probit { return (PostTransform.probit(score), 0) }
            switch self {
            case .complement: return (1 - score, score)
            case .mirrored, .negatedSecond:
                if transform == .logistic { return (PostTransform.logistic(-score), PostTransform.logistic(score)) }
                return self == .mirrored ? (-score, score) : (score, -score)
            case .unset: return (score, 0)
            }
        }
    }
}
