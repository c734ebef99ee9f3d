/// The model's inputs and the output the engine reads, checked against what the engine can feed and read.
///
/// Every graph input takes one value or a group of values per row: shape `[batch, width]` (or
/// `[batch]` for one value) of float, int64 or string. A model exported from PyTorch has one
/// float input of all the features; a scikit-learn pipeline with a ColumnTransformer has one
/// input per column (or per group of columns), some of them strings.
///
/// The output read is the first graph output that is a float tensor: a classifier's label output
/// (int64 or string) is skipped for its probabilities. Where the probabilities leave the graph
/// through a ZipMap (a sequence of maps, as skl2onnx writes by default and CatBoost always does),
/// the tensor ZipMap is made from is read instead.
struct GraphInterface: Sendable {
    /// One graph input as the engine feeds it.
    struct Input: Sendable, Equatable {
        let name: String
        let elementType: Tensor.ElementType
        /// Values per row: the fixed second dimension, or 1 for a `[batch]` input.
        let width: Int
        /// Whether the input is declared `[batch]` rather than `[batch, width]`.
        let isVector: Bool
    }

    let inputs: [Input]
    /// Values per row over all inputs.
    var featureCount: Int { inputs.reduce(0) { $0 + $1.width } }
    /// The batch dimension when the model fixes it, else nil.
    let staticBatch: Int?
    let outputName: String
    /// The first output's declared dimensions: a size, or nil for a symbolic or missing one; nil when no shape is declared.
    let declaredOutputDimensions: [Int?]?

    init(graph: Onnx_GraphProto, path: String) throws(ModelError) {
        let initializerNames = Set(graph.initializer.map(\.name))
        // Before IR version 4 every initializer was also listed as a graph input; those are not fed by the caller.
        let declared = graph.input.filter { !initializerNames.contains($0.name) }
        guard !declared.isEmpty else {
            throw ModelError(
                code: .unsupportedInput,
                message: "\(path): the graph has no input; export the model with one float input of shape [batch, features]"
            )
        }
        var inputs: [Input] = []
        var staticBatch: Int?
        for input in declared {
            func unsupported(_ problem: String) -> ModelError {
                ModelError(
                    code: .unsupportedInput,
                    message:
                        "\(path): input '\(input.name)' \(problem); inferwatcher feeds each input a [batch, columns] tensor of float, int64 or string values, so export the model with such inputs"
                )
            }
            guard case .tensorType(let tensorType) = input.type.value else {
                throw unsupported("is a \(input.type.typeName), not a tensor")
            }
            let elementType: Tensor.ElementType
            switch Onnx_TensorProto.DataType(rawValue: Int(tensorType.elemType)) {
            case .float: elementType = .float
            case .int64: elementType = .int64
            case .string: elementType = .string
            default:
                let name = Onnx_TensorProto.DataType.name(of: tensorType.elemType)
                let hint = name == "double" ? " (inferwatcher computes in float32: export with FloatTensorType)" : ""
                throw unsupported("has element type \(name), not float, int64 or string\(hint)")
            }
            guard tensorType.hasShape else {
                throw unsupported("has no declared shape")
            }
            let dims = tensorType.shape.dim
            guard dims.count == 2 || (dims.count == 1 && declared.count > 1) else {
                throw unsupported("has \(dims.count) dimensions \(GraphInterface.describe(dims)), not 2")
            }
            var width = 1
            if dims.count == 2 {
                guard case .dimValue(let size)? = dims[1].value, size > 0 else {
                    throw unsupported("has shape \(GraphInterface.describe(dims)), whose feature dimension is not a fixed size")
                }
                width = Int(size)
            }
            if case .dimValue(let batch)? = dims[0].value, batch > 0 {
                guard staticBatch == nil || staticBatch == Int(batch) else {
                    throw unsupported("has batch size \(batch), but another input has \(staticBatch!); the inputs must agree")
                }
                staticBatch = Int(batch)
            }
            inputs.append(Input(name: input.name, elementType: elementType, width: width, isVector: dims.count == 1))
        }
        self.inputs = inputs
        self.staticBatch = staticBatch

        guard let first = graph.output.first else {
            throw ModelError(code: .invalidGraph, message: "\(path): the graph declares no outputs; re-export the model")
        }
        let floatType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        let zipMapInputs = Dictionary(
            graph.node.filter { $0.opType == "ZipMap" && !$0.input.isEmpty }.flatMap { node in node.output.map { ($0, node.input[0]) } },
            uniquingKeysWith: { first, _ in first })
        if let output = graph.output.first(where: {
            if case .tensorType(let type) = $0.type.value { return type.elemType == floatType }
            return false
        }) {
            outputName = output.name
            if case .tensorType(let outputType) = output.type.value, outputType.hasShape {
                declaredOutputDimensions = outputType.shape.dim.map { dimension in
                    if case .dimValue(let size)? = dimension.value, size >= 0 { Int(size) } else { nil }
                }
            } else {
                declaredOutputDimensions = nil
            }
        } else if let probabilities = graph.output.lazy.compactMap({ zipMapInputs[$0.name] }).first {
            outputName = probabilities
            declaredOutputDimensions = nil
        } else {
            // No float output: the first one is read, and the probe run says what it holds.
            outputName = first.name
            declaredOutputDimensions = nil
        }
    }

    /// `graph` with only the nodes that `outputName` depends on, in their order: a classifier's
    /// label path and a ZipMap after the probabilities are neither compiled nor required.
    func neededPart(of graph: Onnx_GraphProto) -> Onnx_GraphProto {
        var needed: Set<String> = [outputName]
        var keep = [Bool](repeating: false, count: graph.node.count)
        // Nodes are usually sorted; sweeping until nothing changes also covers unsorted graphs.
        var changed = true
        while changed {
            changed = false
            for (index, node) in graph.node.enumerated().reversed() where !keep[index] && node.output.contains(where: needed.contains) {
                keep[index] = true
                needed.formUnion(node.input.filter { !$0.isEmpty })
                changed = true
            }
        }
        var pruned = graph
        pruned.node = graph.node.enumerated().filter { keep[$0.offset] }.map(\.element)
        return pruned
    }

    /// Dimensions as text, symbolic names included, e.g. `[batch, 10]`.
    static func describe(_ dims: [Onnx_TensorShapeProto.Dimension]) -> String {
        "["
            + dims.map { dimension in
                switch dimension.value {
                case .dimValue(let size): String(size)
                case .dimParam(let name): name
                case nil: "?"
                }
            }.joined(separator: ", ") + "]"
    }
}
