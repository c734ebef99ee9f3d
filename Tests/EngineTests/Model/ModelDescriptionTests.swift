import Foundation
import Testing

@testable import Engine

@Suite("Model descriptions")
struct ModelDescriptionTests {
    @Test("A loadable model is described fully")
    func describesClassifier() throws {
        let folder = try TemporaryFolder()
        let path = try ModelLoadingTests.classifier().write(to: folder)
        let description = try ONNXModelDescription.read(path: path)
        #expect(description.path == path)
        #expect(description.irVersion == 8)
        #expect(description.producer == "inferwatcher-tests 1.0")
        #expect(description.opsetImports == [.init(domain: "ai.onnx", version: 17)])
        #expect(description.isOpsetSupported)
        #expect(description.inputs == [.init(name: "x", elementType: "float", dimensions: [.symbolic("batch"), .fixed(3)])])
        #expect(description.outputs == [.init(name: "y", elementType: "float", dimensions: [.symbolic("batch"), .fixed(2)])])
        #expect(description.nodeCount == 4)
        #expect(
            description.operators == [
                .init(name: "Gemm", count: 2, isSupported: true),
                .init(name: "Relu", count: 1, isSupported: true),
                .init(name: "Softmax", count: 1, isSupported: true),
            ]
        )
        #expect(description.unsupportedNodes.isEmpty)
        #expect(description.metadata["class_labels"] == "no,yes")
        #expect(description.initializerCount == 4)
        #expect(description.parameterCount == 12 + 4 + 8 + 2)
        #expect(description.externalDataFiles.isEmpty)
        let text = description.description
        #expect(text.contains("x: float [batch, 3]"))
        #expect(text.contains("Gemm ×2"))
        #expect(text.contains("initializers: 4 (26 parameters)"))
        #expect(text.contains("unsupported operators: none"))
    }

    @Test("Unsupported operators and opsets are described, not thrown")
    func describesUnsupported() throws {
        var graph = TestGraph(features: 4, outputWidth: 1, opset: 23)
        graph.extraOpsets = [(domain: "ai.onnx.ml", version: 3)]
        graph.node("TopK", ["x", "k"], ["values", "indices"], name: "topk_1")
        graph.node("TopK", ["values", "k"], ["v2", "i2"], name: "topk_2")
        graph.node("Sigmoid", ["v2"], ["y"], name: "sig")
        graph.node("SVMRegressor", ["x"], ["svm"], name: "svm", domain: "ai.onnx.ml")
        let folder = try TemporaryFolder()
        let description = try ONNXModelDescription.read(path: try graph.write(to: folder))
        #expect(!description.isOpsetSupported)
        #expect(description.opsetImports.map(\.domain) == ["ai.onnx", "ai.onnx.ml"])
        #expect(
            description.operators == [
                .init(name: "Sigmoid", count: 1, isSupported: true),
                .init(name: "TopK", count: 2, isSupported: false),
                .init(name: "ai.onnx.ml.SVMRegressor", count: 1, isSupported: false),
            ]
        )
        // The SVMRegressor's output is not what the engine reads: it would not be run, so it does not count.
        #expect(
            description.unsupportedNodes == [
                .init(operatorName: "TopK", nodeName: "topk_1"),
                .init(operatorName: "TopK", nodeName: "topk_2"),
            ]
        )
        #expect(description.description.contains("TopK (node 'topk_2')"))
        #expect(description.description.contains("ai.onnx.ml.SVMRegressor ×1 (not run: the output read does not need it)"))
        #expect(description.description.contains("default-domain opset not supported"))
    }

    @Test("External data files are listed, and initializers listed as inputs are not inputs")
    func externalFilesAndOldInputs() throws {
        var graph = ExternalDataTests.externalModel(weights: "weights.bin", bias: "bias.bin")
        graph.inputs.append(TestGraph.value("w", elementType: .float, dims: [.fixed(2), .fixed(1)]))
        let folder = try TemporaryFolder()
        let description = try ONNXModelDescription.read(path: try graph.write(to: folder))
        #expect(description.externalDataFiles == ["bias.bin", "weights.bin"])
        #expect(description.inputs.map(\.name) == ["x"])
        #expect(description.parameterCount == 3)
    }

    @Test("Files that are not ONNX still fail to describe")
    func notONNX() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/data.csv"
        try Data("a,b\n1,2\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(modelError { _ = try ONNXModelDescription.read(path: path) })
        #expect(error.code == .notONNX)
    }

    @Test("The dynamo fixture with external data is described")
    func fixtureWithExternalData() throws {
        let path = ConformanceFixture.modelsFolder + "/mlp_dynamo.onnx"
        let description = try ONNXModelDescription.read(path: path)
        #expect(description.externalDataFiles == ["mlp_dynamo.onnx.data"])
        #expect(description.inputs.first?.dimensions?.last == .fixed(10))
        #expect(description.unsupportedNodes.isEmpty)
    }
}
