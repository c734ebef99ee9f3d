/// The model's single input and the output the engine reads, checked against what the engine can feed and read.
///
/// The output read is the first graph output that is a float tensor: a classifier's label output
/// (int64 or string) is skipped for its probabilities. Where the probabilities leave the graph
/// through a ZipMap (a sequence of maps, as skl2onnx writes by default and CatBoost always does),
/// the tensor ZipMap is made from is read instead.
struct GraphInterface: Sendable {
    let inputName: String
    let featureCount: Int
    /// The input's batch dimension when the model fixes it, else nil.
    let staticBatch: Int?
    let outputName: String
    /// The first output's declared dimensions: a size, or nil for a symbolic or missing one; nil when no shape is declared.
    let declaredOutputDimensions: [Int?]?

    init(graph: Onnx_GraphProto, path: String) throws(ModelError) {
        let initializerNames = Set(graph.initializer.map(\.name))
        // Before IR version 4 every initializer was also listed as a graph input; those are not fed by the caller.
        let inputs = graph.input.filter { !initializerNames.contains($0.name) }
        guard let input = inputs.first else {
            throw ModelError(
                code: .unsupportedInput,
                message: "\(path): the graph has no input; export the model with one float input of shape [batch, features]"
            )
        }
        guard inputs.count == 1 else {
            let names = inputs.map { "'\($0.name)'" }.joined(separator: ", ")
            throw ModelError(
                code: .multipleInputs,
                message:
                    "\(path) has \(inputs.count) inputs (\(names)); inferwatcher feeds one float tensor of shape [batch, features], so export the model with a single input that takes all feature columns"
            )
        }
        func unsupported(_ problem: String) -> ModelError {
            ModelError(
                code: .unsupportedInput,
                message:
                    "\(path): input '\(input.name)' \(problem); inferwatcher feeds one float tensor of shape [batch, features], so export the model with such an input"
            )
        }
        guard case .tensorType(let tensorType) = input.type.value else {
            throw unsupported("is a \(input.type.typeName), not a tensor")
        }
        guard tensorType.elemType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw unsupported("has element type \(Onnx_TensorProto.DataType.name(of: tensorType.elemType)), not float")
        }
        guard tensorType.hasShape else {
            throw unsupported("has no declared shape")
        }
        let dims = tensorType.shape.dim
        guard dims.count == 2 else {
            throw unsupported("has \(dims.count) dimensions \(GraphInterface.describe(dims)), not 2")
        }
        guard case .dimValue(let features)? = dims[1].value, features > 0 else {
            throw unsupported("has shape \(GraphInterface.describe(dims)), whose feature dimension is not a fixed size")
        }
        inputName = input.name
        featureCount = Int(features)
        if case .dimValue(let batch)? = dims[0].value, batch > 0 {
            staticBatch = Int(batch)
        } else {
            staticBatch = nil
        }

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
