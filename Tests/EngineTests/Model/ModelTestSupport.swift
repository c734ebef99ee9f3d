import Foundation
import SwiftProtobuf
import Testing

@testable import Engine

/// Builds small ONNX models in memory for tests.
struct TestGraph {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var inputs: [Onnx_ValueInfoProto] = []
    var outputs: [Onnx_ValueInfoProto] = []
    var opset = 17
    var extraOpsets: [(domain: String, version: Int)] = []
    var metadata: [String: String] = [:]
    var irVersion = 8

    /// A graph with one float input `[batch, features]` named `x` and one output `y` declared as `[batch, width]`.
    init(features: Int, outputWidth: Int? = nil, opset: Int = 17) {
        self.opset = opset
        inputs = [TestGraph.value("x", elementType: .float, dims: [.symbolic("batch"), .fixed(features)])]
        if let outputWidth {
            outputs = [TestGraph.value("y", elementType: .float, dims: [.symbolic("batch"), .fixed(outputWidth)])]
        } else {
            outputs = [TestGraph.value("y", elementType: .float, dims: nil)]
        }
    }

    enum Dim {
        case fixed(Int)
        case symbolic(String)
    }

    static func value(_ name: String, elementType: Onnx_TensorProto.DataType, dims: [Dim]?) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(elementType.rawValue)
        if let dims {
            var shape = Onnx_TensorShapeProto()
            shape.dim = dims.map { dim in
                var d = Onnx_TensorShapeProto.Dimension()
                switch dim {
                case .fixed(let size): d.dimValue = Int64(size)
                case .symbolic(let name): d.dimParam = name
                }
                return d
            }
            tensor.shape = shape
        }
        info.type.tensorType = tensor
        return info
    }

    mutating func node(
        _ opType: String,
        _ inputs: [String],
        _ outputs: [String],
        name: String? = nil,
        domain: String = "",
        _ attributes: [Onnx_AttributeProto] = []
    ) {
        var node = Onnx_NodeProto()
        node.opType = opType
        node.input = inputs
        node.output = outputs
        node.name = name ?? "\(opType.lowercased())_\(nodes.count)"
        node.domain = domain
        node.attribute = attributes
        nodes.append(node)
    }

    mutating func initializer(_ name: String, _ values: [Float], shape: [Int]) {
        initializers.append(TestGraph.floatTensor(name, values, shape: shape))
    }

    mutating func initializer(_ name: String, ints values: [Int64], shape: [Int]? = nil) {
        initializers.append(TestGraph.intTensor(name, values, shape: shape ?? [values.count]))
    }

    static func floatTensor(_ name: String, _ values: [Float], shape: [Int]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.dims = shape.map { Int64($0) }
        tensor.floatData = values
        return tensor
    }

    static func intTensor(_ name: String, _ values: [Int64], shape: [Int]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.dims = shape.map { Int64($0) }
        tensor.int64Data = values
        return tensor
    }

    var model: Onnx_ModelProto {
        var model = Onnx_ModelProto()
        model.irVersion = Int64(irVersion)
        model.producerName = "inferwatcher-tests"
        model.producerVersion = "1.0"
        var defaultOpset = Onnx_OperatorSetIdProto()
        defaultOpset.domain = ""
        defaultOpset.version = Int64(opset)
        model.opsetImport = [defaultOpset]
        for extra in extraOpsets {
            var entry = Onnx_OperatorSetIdProto()
            entry.domain = extra.domain
            entry.version = Int64(extra.version)
            model.opsetImport.append(entry)
        }
        var graph = Onnx_GraphProto()
        graph.name = "test"
        graph.node = nodes
        graph.initializer = initializers
        graph.input = inputs
        graph.output = outputs
        model.graph = graph
        model.metadataProps = metadata.keys.sorted().map { key in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = metadata[key]!
            return entry
        }
        return model
    }

    /// Serializes the model into `folder` and returns its path.
    func write(to folder: TemporaryFolder, name: String = "model.onnx") throws -> String {
        let path = folder.path + "/" + name
        let bytes: Data = try model.serializedBytes()
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Compiles the model in memory, as if it had been loaded from `path`.
    func load(path: String = "test.onnx") throws(ModelError) -> ONNXModel {
        try ONNXModel(model: model, path: path)
    }
}

/// Attribute constructors, mirroring `onnx.helper.make_attribute`.
enum Attr {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map { Int64($0) }
        return a
    }

    static func floats(_ name: String, _ values: [Float]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .floats
        a.floats = values
        return a
    }

    static func strings(_ name: String, _ values: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .strings
        a.strings = values.map { Data($0.utf8) }
        return a
    }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(value.utf8)
        return a
    }

    static func tensor(_ name: String, _ value: Onnx_TensorProto) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .tensor
        a.t = value
        return a
    }
}

/// A folder under the system temporary directory, removed when the value is released.
final class TemporaryFolder {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/inferwatcher-model-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Compiles one node with the registry and runs it on the given tensors.
func runOperator(
    _ opType: String,
    domain: String = "",
    opset: Int = 17,
    _ attributes: [Onnx_AttributeProto] = [],
    inputs: [Tensor?],
    outputCount: Int = 1
) throws(OperatorError) -> [Tensor] {
    var node = Onnx_NodeProto()
    node.opType = opType
    node.domain = domain
    node.name = "under_test"
    node.input = inputs.enumerated().map { $1 == nil ? "" : "in\($0)" }
    node.output = (0..<outputCount).map { "out\($0)" }
    node.attribute = attributes
    let decoder = TensorDecoder(externalData: ExternalDataReader(modelPath: "test.onnx"))
    let context = NodeContext(node: node, opsetVersion: opset, attributes: NodeAttributes(node, tensorDecoder: decoder))
    let kernel = try OperatorRegistry.kernel(for: context)
    var kernelInputs = KernelInputs(inputs)
    return try kernel.run(&kernelInputs)
}

/// Runs a single-output operator.
func runSingle(
    _ opType: String,
    domain: String = "",
    opset: Int = 17,
    attributes: [Onnx_AttributeProto] = [],
    _ inputs: Tensor?...
) throws(OperatorError) -> Tensor {
    try runOperator(opType, domain: domain, opset: opset, attributes, inputs: inputs)[0]
}

/// String tensor shorthand (a vector when `shape` is omitted).
func strings(_ values: [String], _ shape: [Int]? = nil) -> Tensor {
    Tensor(shape: shape ?? [values.count], strings: values)
}

/// Float tensor shorthand.
func floats(_ values: [Float], _ shape: [Int]) -> Tensor {
    Tensor(shape: shape, floats: values)
}

/// Int64 tensor shorthand (a vector when `shape` is omitted).
func ints(_ values: [Int64], _ shape: [Int]? = nil) -> Tensor {
    Tensor(shape: shape ?? [values.count], ints: values)
}

/// Whether two float arrays agree within `tolerance` everywhere.
func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in x == y || abs(x - y) <= tolerance * max(1, abs(y)) }
}

extension ONNXModel {
    /// Runs the model on an array of rows.
    func predict(_ rows: [[Float]]) throws(ModelError) -> [Float] {
        let flat = rows.flatMap { $0 }
        return try flat.withUnsafeBufferPointer { (buffer) throws(ModelError) -> [Float] in
            try predict(buffer, rows: rows.count)
        }
    }
}
