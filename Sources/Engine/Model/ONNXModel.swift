import CKernels

/// One graph input as the engine feeds it: the CSV columns it takes and how their text is read.
public struct ModelInput: Sendable, Equatable {
    /// How a field is parsed for this input.
    public enum ValueType: String, Sendable, Equatable {
        /// A decimal number, rounded to float32.
        case float
        /// A whole number in the int64 range.
        case int64
        /// The field's text as it is (an empty field is the empty string).
        case string
    }

    /// The graph input's name: with several inputs, the CSV column it binds to (when its width is 1).
    public let name: String
    public let valueType: ValueType
    /// Columns per row: the input's second dimension.
    public let width: Int
    /// Whether an empty field reaches the model: always for a string input (as the empty string),
    /// for a float input only where every path from it ends in a node that handles NaN (a tree
    /// ensemble's missing-value track, an Imputer), never for an int64 input.
    public let acceptsMissingValues: Bool
}

/// A loaded, validated and compiled ONNX model that scores batches of feature rows.
///
/// The model takes one float input of shape `[batch, featureCount]` (an exported network), or
/// several inputs of float, int64 or string columns (a scikit-learn pipeline with a
/// ColumnTransformer; see ``inputs``). The engine reads its first float output (a classifier's
/// probabilities rather than its labels; see ``GraphInterface``), compiling only the nodes that
/// output needs. Loading checks everything it can up front —
/// file format, opset, operators, input shape, external data, graph wiring —
/// and runs the graph once on a small probe batch, so a model that loads
/// will run. The value is immutable and `predict` may be called from several
/// threads at once.
public struct ONNXModel: Sendable {
    /// The path the model was loaded from.
    public let path: String
    /// The name of the graph's first input (its only one, for an exported network).
    public let inputName: String
    /// The graph's inputs in order. A row's values are laid out input after input: ``featureCount``
    /// values, of which input k takes `width` consecutive ones.
    public let inputs: [ModelInput]
    /// The number of values per row over all inputs: the static second dimension of a single input.
    public let featureCount: Int
    /// The name of the output ``predict(_:rows:)`` returns: the first float graph output, or the
    /// probabilities a ZipMap output is made from.
    public let outputName: String
    /// Values per row in the output: dimension 1 of a `[N, W]` output, 1 for a rank-1 `[N]` output
    /// (and the product of the trailing dimensions for higher ranks).
    public let outputWidth: Int
    /// The rank of the first output (1 for `[N]`, 2 for `[N, W]`).
    public let outputRank: Int
    /// The op type that computes the output, seen through Identity, Reshape, Flatten, Squeeze,
    /// Unsqueeze, Cast, Dropout, Normalizer and a `Mul` by the constant 1; e.g. `Sigmoid`,
    /// `Softmax`, `Gemm`, `Add`, `TreeEnsembleClassifier`. Empty when the output is not computed
    /// by a node.
    public let outputProducer: String
    /// The class labels of the classifier node that computes the output (`classlabels_strings`,
    /// or `classlabels_int64s` as text), in the order of its probability columns; nil when the
    /// output does not come from an ONNX-ML classifier.
    public let classLabels: [String]?
    /// The `post_transform` of the ONNX-ML node that computes the output (`LOGISTIC`,
    /// `SOFTMAX`, `NONE`, …); nil when the output does not come from one.
    public let outputPostTransform: String?
    /// Whether a missing value may be fed as NaN to every float input: true when every path from
    /// them ends in a node that handles it: a tree ensemble, which sends NaN down its missing-value
    /// track (or, without one, its false branch) exactly as onnxruntime does, or an Imputer that
    /// replaces NaN. Elsewhere a missing value is a rejection. Per input: ``ModelInput/acceptsMissingValues``.
    public let acceptsMissingValues: Bool
    /// The model's `metadata_props`.
    public let metadata: [String: String]
    /// The opset version imported for the default ONNX domain; 0 for a model that imports only
    /// `ai.onnx.ml` (CatBoost's exporter writes such models).
    public let opsetVersion: Int
    /// The producer name and version, e.g. `pytorch 2.5.1`.
    public let producer: String

    /// The compiled graph (internal so that tests can check what was folded).
    let plan: ExecutionPlan
    /// The inputs' element types and shapes, to build their tensors.
    let graphInputs: [GraphInterface.Input]

    /// Loads, validates and compiles the model at `path`.
    ///
    /// Tensors stored outside the model file (`data_location: EXTERNAL`) are
    /// read from the model's folder; their `location` must be a relative path
    /// that stays inside that folder (no absolute paths, no `..`, no symbolic
    /// links leading out), and `offset`/`length` are honoured. Supported opsets
    /// are 7 through 21 of the default domain.
    ///
    /// - Throws: ``ModelError`` with code `unreadable`, `notONNX`, `truncated`, `unsupportedOpset`,
    ///   `unsupportedOperators` (listing every such node), `multipleInputs`, `unsupportedInput`,
    ///   `externalData`, `invalidGraph` or `shapeMismatch`.
    public static func load(path: String) throws(ModelError) -> ONNXModel {
        try ONNXModel(model: ModelFile.read(path: path), path: path)
    }

    /// Compiles an already decoded model; `path` names it in messages and anchors external data.
    init(model: Onnx_ModelProto, path: String) throws(ModelError) {
        let importsMachineLearning = model.opsetImport.contains { $0.domain == OpsetSupport.machineLearningDomain }
        let defaultOpset = OpsetSupport.defaultVersion(of: model)
        guard let opset = defaultOpset ?? (importsMachineLearning ? 0 : nil) else {
            throw ModelError(code: .notONNX, message: "\(path) is not an ONNX model: it has no default-domain opset import")
        }
        guard defaultOpset == nil || OpsetSupport.supportedVersions.contains(opset) else {
            let range = OpsetSupport.supportedVersions
            throw ModelError(
                code: .unsupportedOpset,
                message:
                    "\(path) uses ONNX opset \(opset), but inferwatcher supports opsets \(range.lowerBound) to \(range.upperBound); re-export the model with an opset in that range (for PyTorch: torch.onnx.export(..., opset_version=17))"
            )
        }
        let interface = try GraphInterface(graph: model.graph, path: path)
        // Only what the output needs is compiled: not a label output's Cast, nor a ZipMap.
        var model = model
        model.graph = interface.neededPart(of: model.graph)
        let unsupported = OperatorRegistry.unsupportedNodes(in: model.graph)
        guard unsupported.isEmpty else {
            let noun = unsupported.count == 1 ? "operator" : "operators"
            throw ModelError(
                code: .unsupportedOperators,
                message:
                    "\(path) uses \(unsupported.count) unsupported \(noun): \(unsupported.map(\.text).joined(separator: ", ")); re-export the model without them or replace them with supported operators"
            )
        }
        let plan = try GraphCompiler(model: model, path: path, interface: interface).compile()

        let probeRows = interface.staticBatch ?? 2
        let probe = try plan.run(
            ONNXModel.tensors(
                for: interface.inputs, rows: probeRows, floats: [Float](repeating: 0, count: probeRows * interface.featureCount),
                ints: [Int64](repeating: 0, count: probeRows * interface.featureCount),
                strings: [String](repeating: "", count: probeRows * interface.featureCount)))
        guard probe.rank >= 1, probe.shape[0] == probeRows else {
            throw ModelError(
                code: .shapeMismatch,
                message:
                    "\(path): output '\(interface.outputName)' has shape \(probe.shape.shapeText) for a batch of \(probeRows) rows; its first dimension must be the batch, one result per input row"
            )
        }
        let width = probe.shape.dropFirst().reduce(1, *)
        if let declared = interface.declaredOutputDimensions, declared.count >= 2, probe.rank >= 2,
            let declaredWidth = declared[1], declaredWidth != probe.shape[1]
        {
            throw ModelError(
                code: .shapeMismatch,
                message:
                    "\(path): output '\(interface.outputName)' is declared with \(declaredWidth) values per row but the graph computes \(probe.shape[1]); re-export the model"
            )
        }

        self.path = path
        self.inputName = interface.inputs[0].name
        self.featureCount = interface.featureCount
        self.outputName = interface.outputName
        self.outputWidth = width
        self.outputRank = probe.rank
        let producer = ONNXModel.producingNode(of: interface.outputName, in: model.graph)
        self.outputProducer = producer.opType
        self.classLabels = producer.node.flatMap(ONNXModel.classLabels(of:))
        self.outputPostTransform = producer.node.flatMap { node in
            guard node.domain == OpsetSupport.machineLearningDomain else { return nil }
            guard let attribute = node.attribute.first(where: { $0.name == "post_transform" }) else { return "NONE" }
            // TreeEnsemble (ml opset 5) numbers its transforms; the earlier operators name them.
            if attribute.type == .int, PostTransform.opset5Order.indices.contains(Int(attribute.i)) {
                return PostTransform.opset5Order[Int(attribute.i)].rawValue
            }
            return String(decoding: attribute.s, as: UTF8.self)
        }
        let tolerant = ONNXModel.handlesMissingValues(plan)
        self.inputs = zip(interface.inputs, plan.inputSlots).map { input, slot in
            let type: ModelInput.ValueType =
                switch input.elementType {
                case .float: .float
                case .int64: .int64
                case .string: .string
                }
            return ModelInput(
                name: input.name, valueType: type, width: input.width,
                acceptsMissingValues: type == .string || (type == .float && tolerant(slot)))
        }
        self.acceptsMissingValues = inputs.allSatisfy { $0.valueType != .float || $0.acceptsMissingValues }
        self.graphInputs = interface.inputs
        self.metadata = Dictionary(model.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        self.opsetVersion = opset
        self.producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        self.plan = plan
    }

    /// What kind of model this is, in one line for `model inspect`: for tree ensembles the
    /// operator, trees, depth, nodes and classes (`tree ensemble (TreeEnsembleClassifier): 500
    /// trees, depth up to 9, 61,000 nodes, classes 0, 1`); for a linear model its operator and
    /// classes; otherwise the network's dense layers. A pipeline's encoders and scalers follow
    /// (`; before it: OneHotEncoder, Imputer`).
    public var family: String {
        let preprocessing: Set<String> = [
            "OneHotEncoder", "LabelEncoder", "CategoryMapper", "Imputer", "Scaler", "Normalizer", "Binarizer",
            "ArrayFeatureExtractor", "FeatureVectorizer",
        ]
        var encoders: [String] = []
        for step in plan.steps where preprocessing.contains(step.opType) && !encoders.contains(step.opType) {
            encoders.append(step.opType)
        }
        let before = encoders.isEmpty ? "" : "; before it: " + encoders.joined(separator: ", ")
        let forests = plan.steps.compactMap { step -> (opType: String, forest: TreeForest)? in
            if let kernel = step.kernel as? TreeEnsembleClassifierKernel { return (step.opType, kernel.forest) }
            if let kernel = step.kernel as? TreeEnsembleRegressorKernel { return (step.opType, kernel.forest) }
            return nil
        }
        let classes = classLabels.map { ", classes " + $0.joined(separator: ", ") } ?? ""
        if !forests.isEmpty {
            let trees = forests.reduce(0) { $0 + $1.forest.treeCount }
            let nodes = forests.reduce(0) { $0 + $1.forest.nodes.count }
            let depth = forests.map(\.forest.depth).max() ?? 0
            let operators = Set(forests.map(\.opType)).sorted().joined(separator: ", ")
            return "tree ensemble (\(operators)): \(trees) trees, depth up to \(depth), \(nodes) nodes\(classes)\(before)"
        }
        if let linear = plan.steps.first(where: { $0.kernel is LinearClassifierKernel || $0.kernel is LinearRegressorKernel }) {
            return "linear model (\(linear.opType))\(classes)\(before)"
        }
        let layers = plan.steps.filter { $0.opType == "Gemm" || $0.opType == "MatMul" }.count
        return "neural network: \(layers) dense layer\(layers == 1 ? "" : "s"), \(plan.steps.count) operators after folding\(before)"
    }

    /// Runs the model on `rows` rows of a row-major `[rows, featureCount]` batch of numbers.
    ///
    /// Thread-safe: may be called concurrently from several threads on one model.
    ///
    /// - Parameters:
    ///   - input: at least `rows * featureCount` floats, row after row (an int64 input's values are
    ///     converted, truncating toward zero).
    ///   - rows: how many rows to score.
    /// - Returns: the first output, row-major: `rows * outputWidth` floats.
    /// - Throws: ``ModelError`` (`shapeMismatch` when the buffer is too short or the graph's shapes
    ///   do not fit this batch, naming the node; `unsupportedInput` for a model with string inputs,
    ///   which ``predict(floats:ints:strings:rows:)`` feeds).
    public func predict(_ input: UnsafeBufferPointer<Float>, rows: Int) throws(ModelError) -> [Float] {
        if let text = inputs.first(where: { $0.valueType == .string }) {
            throw ModelError(
                code: .unsupportedInput, message: "\(path): input '\(text.name)' takes strings; score the rows with their text values")
        }
        let ints = inputs.contains { $0.valueType == .int64 } ? input.map(Int64.init(clampingFloat:)) : []
        return try ints.withUnsafeBufferPointer { ints throws(ModelError) in
            try predict(floats: input, ints: ints, strings: UnsafeBufferPointer(start: nil, count: 0), rows: rows)
        }
    }

    /// Runs the model on `rows` rows whose values are laid out row-major `[rows, featureCount]`,
    /// each in the buffer of its input's type: float inputs' values in `floats`, int64 inputs' in
    /// `ints`, string inputs' in `strings`. The other buffers' entries at those places are not
    /// read, and a buffer no input uses may be empty.
    ///
    /// Thread-safe: may be called concurrently from several threads on one model.
    /// - Returns: the first output, row-major: `rows * outputWidth` floats.
    /// - Throws: ``ModelError`` (`shapeMismatch` when a buffer is too short or the graph's shapes
    ///   do not fit this batch, naming the node).
    public func predict(
        floats: UnsafeBufferPointer<Float>, ints: UnsafeBufferPointer<Int64>, strings: UnsafeBufferPointer<String>, rows: Int
    ) throws(ModelError) -> [Float] {
        guard rows > 0 else {
            guard rows == 0 else {
                throw ModelError(code: .shapeMismatch, message: "\(path): cannot score \(rows) rows")
            }
            return []
        }
        let needed = rows * featureCount
        for (type, buffer) in [(ModelInput.ValueType.float, floats.count), (.int64, ints.count), (.string, strings.count)]
        where buffer < needed && inputs.contains(where: { $0.valueType == type }) {
            throw ModelError(
                code: .shapeMismatch,
                message: "\(path): \(rows) rows of \(featureCount) features need \(needed) values, but the batch holds \(buffer)"
            )
        }
        let output = try plan.run(ONNXModel.tensors(for: graphInputs, rows: rows, floats: floats, ints: ints, strings: strings))
        guard output.rank >= 1, output.shape[0] == rows, output.count == rows * outputWidth else {
            throw ModelError(
                code: .shapeMismatch,
                message:
                    "\(path): output '\(outputName)' has shape \(output.shape.shapeText) for a batch of \(rows) rows; expected \(rows) rows of \(outputWidth)"
            )
        }
        return output.valuesAsFloat
    }

    /// One tensor per graph input, cut from row-major `[rows, featureCount]` buffers (see
    /// ``predict(floats:ints:strings:rows:)``). A single float input takes the float rows as they are.
    static func tensors<Floats: Collection<Float>, Ints: Collection<Int64>, Strings: Collection<String>>(
        for inputs: [GraphInterface.Input], rows: Int, floats: Floats, ints: Ints, strings: Strings
    ) -> [Tensor] where Floats.Index == Int, Ints.Index == Int, Strings.Index == Int {
        let stride = inputs.reduce(0) { $0 + $1.width }
        if inputs.count == 1, inputs[0].elementType == .float, !inputs[0].isVector {
            return [Tensor(shape: [rows, stride], floats: Array(floats.prefix(rows * stride)))]
        }
        var offset = 0
        return inputs.map { input in
            defer { offset += input.width }
            let shape = input.isVector ? [rows] : [rows, input.width]
            func columns<C: Collection>(_ values: C) -> [C.Element] where C.Index == Int {
                var result: [C.Element] = []
                result.reserveCapacity(rows * input.width)
                for row in 0..<rows {
                    let start = values.startIndex + row * stride + offset
                    result.append(contentsOf: values[start..<(start + input.width)])
                }
                return result
            }
            switch input.elementType {
            case .float: return Tensor(shape: shape, floats: columns(floats))
            case .int64: return Tensor(shape: shape, ints: columns(ints))
            case .string: return Tensor(shape: shape, strings: columns(strings))
            }
        }
    }

    /// Whether a NaN fed to a slot can only reach nodes that handle it: tree ensembles, Imputers
    /// that replace NaN, and nodes that just move values on to such nodes (Concat, Identity,
    /// Reshape, Cast to float, FeatureVectorizer, ArrayFeatureExtractor, …).
    static func handlesMissingValues(_ plan: ExecutionPlan) -> (Int) -> Bool {
        var readers: [Int: [ExecutionPlan.Step]] = [:]
        for step in plan.steps {
            for slot in Set(step.inputs.compactMap { $0 }) { readers[slot, default: []].append(step) }
        }
        var known: [Int: Bool] = [:]
        func tolerant(_ slot: Int) -> Bool {
            if let answer = known[slot] { return answer }
            known[slot] = false  // a cycle, impossible in a sorted plan, would not count
            let answer = (readers[slot] ?? []).allSatisfy { step in
                let kernel = step.kernel
                if kernel is TreeEnsembleClassifierKernel || kernel is TreeEnsembleRegressorKernel {
                    return true
                }
                if let imputer = kernel as? ImputerKernel { return imputer.replacesMissingValues }
                let movesValues =
                    kernel is ConcatKernel || kernel is PassThrough || kernel is ReshapeKernel || kernel is FlattenKernel
                    || kernel is SqueezeKernel || kernel is UnsqueezeKernel || kernel is FeatureVectorizerKernel
                    || kernel is ArrayFeatureExtractorKernel || (kernel as? CastKernel)?.target == .float
                return movesValues && step.outputs.compactMap { $0 }.allSatisfy(tolerant)
            }
            known[slot] = answer
            return answer
        }
        return tolerant
    }

    /// Pins OpenBLAS (the fallback for shapes and CPUs the engine's own kernels don't cover) to
    /// `n` threads. It is loaded on first use and starts with one thread, since the engine runs
    /// its own workers.
    public static func setBLASThreads(_ n: Int) {
        _ = iw_blas_set_threads(Int32(clamping: max(n, 1)))
    }

    /// How Gemm and MatMul run on this CPU, e.g. `small-GEMM AVX-512F, OpenBLAS fallback`.
    public static var matrixKernels: String {
        switch iw_small_gemm_level() {
        case 2: "small-GEMM AVX-512F (OpenBLAS for other shapes)"
        case 1: "small-GEMM AVX2+FMA (OpenBLAS for other shapes)"
        default: "OpenBLAS \(blasCoreName) (this CPU has no AVX2)"
        }
    }

    /// The CPU kernel family OpenBLAS picked at start-up, e.g. `Haswell` or `SkylakeX`.
    ///
    /// Worth logging: on a CPU that OpenBLAS does not recognise (common in VMs
    /// whose model name is a generic "Intel Xeon Processor") it falls back to
    /// `Prescott`, which makes Gemm about twice as slow. The choice is made
    /// when the library loads; setting `OPENBLAS_CORETYPE=Haswell` (or the
    /// right family) in the service's environment overrides it.
    public static var blasCoreName: String {
        guard let name = iw_blas_core_name() else { return "unavailable" }
        return String(cString: name)
    }

    /// The class labels of an ONNX-ML classifier node, as text; nil for other nodes.
    static func classLabels(of node: Onnx_NodeProto) -> [String]? {
        guard node.domain == OpsetSupport.machineLearningDomain, node.opType.hasSuffix("Classifier") else { return nil }
        if let strings = node.attribute.first(where: { $0.name == "classlabels_strings" }), !strings.strings.isEmpty {
            return strings.strings.map { String(decoding: $0, as: UTF8.self) }
        }
        // TreeEnsembleClassifier names them classlabels_int64s, LinearClassifier classlabels_ints.
        return node.attribute.first(where: { $0.name == "classlabels_int64s" || $0.name == "classlabels_ints" }).map {
            $0.ints.map(String.init)
        }
    }

    /// Follows the output back through shape-only and pass-through nodes to the node that computes
    /// it; the op type is the last pass-through's when the chain starts at the graph input.
    static func producingNode(of output: String, in graph: Onnx_GraphProto) -> (opType: String, node: Onnx_NodeProto?) {
        // Normalizer: skl2onnx ends a multi-class LogisticRegression with an L1 normalisation of
        // probabilities that already sum to one.
        let passThrough: Set<String> = ["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast", "Dropout", "Normalizer"]
        var producer: [String: Onnx_NodeProto] = [:]
        for node in graph.node {
            for name in node.output where !name.isEmpty {
                producer[name] = node
            }
        }
        var name = output
        var last = ""
        var visited: Set<String> = []
        // onnxmltools ends LightGBM classifiers with `Mul(probabilities, 1.0)`: a pass-through too.
        let ones = Set(graph.initializer.filter(isScalarOne).map(\.name))
        func isTimesOne(_ node: Onnx_NodeProto) -> Bool {
            node.opType == "Mul" && node.input.count == 2 && ones.contains(node.input[1])
        }
        while let node = producer[name], visited.insert(name).inserted {
            guard passThrough.contains(node.opType) || isTimesOne(node), let source = node.input.first, !source.isEmpty else {
                return (node.opType, node)
            }
            last = node.opType
            name = source
        }
        return (last, nil)
    }

    /// Whether an initializer is the float scalar 1.
    private static func isScalarOne(_ tensor: Onnx_TensorProto) -> Bool {
        guard tensor.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue), tensor.dims.allSatisfy({ $0 == 1 }) else { return false }
        if tensor.floatData.count == 1 { return tensor.floatData[0] == 1 }
        return tensor.rawData.elementsEqual([0x00, 0x00, 0x80, 0x3F])
    }
}
