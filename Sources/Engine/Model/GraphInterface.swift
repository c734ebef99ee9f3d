/// The model's single input and its first output, checked against what the engine can feed and read.
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

        guard let output = graph.output.first else {
            throw ModelError(code: .invalidGraph, message: "\(path): the graph declares no outputs; re-export the model")
        }
        outputName = output.name
        if case .tensorType(let outputType) = output.type.value, outputType.hasShape {
            declaredOutputDimensions = outputType.shape.dim.map { dimension in
                if case .dimValue(let size)? = dimension.value, size >= 0 { Int(size) } else { nil }
            }
        } else {
            declaredOutputDimensions = nil
        }
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
