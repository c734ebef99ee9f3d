import Foundation
import SwiftProtobuf
import Testing

@testable import Engine

/// Runs `body` and returns the ModelError it throws, recording an issue if it succeeds.
func modelError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ModelError? {
    do {
        try body()
        Issue.record("expected a ModelError, but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as ModelError {
        return error
    } catch {
        Issue.record("expected a ModelError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite("Model errors: code and message")
struct ModelErrorTests {
    @Test("A CSV file is notONNX and the message names the path")
    func csvIsNotONNX() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/batch_input.csv"
        try Data("customer_id,age,income\n1,34,52000\n2,51,88000\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(modelError { _ = try ONNXModel.load(path: path) })
        #expect(error.code == .notONNX)
        #expect(error.message.contains(path))
        #expect(error.message.contains("not an ONNX model"))
        #expect(error.description == error.message)
    }

    @Test("Random bytes are notONNX", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomBytesAreNotONNX(seed: UInt64) throws {
        var generator = SampleColumns.Generator(state: seed)
        let bytes = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let error = try #require(modelError { _ = try ModelFile.decode(bytes, path: "noise.bin") })
        #expect(error.code == .notONNX, "seed \(seed): \(error.message)")
        #expect(error.message.contains("noise.bin"))
    }

    @Test("An empty file and a protobuf without a graph are notONNX")
    func emptyAndGraphless() throws {
        let empty = try #require(modelError { _ = try ModelFile.decode(Data(), path: "empty.onnx") })
        #expect(empty.code == .notONNX)
        #expect(empty.message.contains("no graph"))
        var graphless = Onnx_ModelProto()
        graphless.irVersion = 8
        let bytes: Data = try graphless.serializedBytes()
        let error = try #require(modelError { _ = try ModelFile.decode(bytes, path: "graphless.onnx") })
        #expect(error.code == .notONNX)
        var noOpset = ModelLoadingTests.classifier().model
        noOpset.opsetImport = []
        let noOpsetError = try #require(modelError { _ = try ModelFile.decode(try noOpset.serializedBytes(), path: "m.onnx") })
        #expect(noOpsetError.code == .notONNX)
        #expect(noOpsetError.message.contains("opset"))
    }

    @Test("A model cut short is truncated", arguments: [0.9, 0.5, 0.1])
    func truncatedFile(fraction: Double) throws {
        var graph = ModelLoadingTests.classifier()
        graph.initializer("padding", [Float](repeating: 1, count: 256), shape: [256])
        let bytes: Data = try graph.model.serializedBytes()
        let folder = try TemporaryFolder()
        let path = folder.path + "/cut.onnx"
        try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: path))
        let error = try #require(modelError { _ = try ONNXModel.load(path: path) })
        #expect(error.code == .truncated, "\(fraction): \(error.message)")
        #expect(error.message.contains(path))
        #expect(error.message.contains("ends early"))
    }

    @Test("A missing file is unreadable")
    func missingFile() throws {
        let error = try #require(modelError { _ = try ONNXModel.load(path: "/nonexistent/model.onnx") })
        #expect(error.code == .unreadable)
        #expect(error.message.contains("/nonexistent/model.onnx"))
    }

    @Test("Opsets outside 7...21 are unsupportedOpset", arguments: [1, 6, 22, 99])
    func unsupportedOpset(version: Int) throws {
        var graph = ModelLoadingTests.classifier()
        graph.opset = version
        let error = try #require(modelError { _ = try graph.load(path: "old.onnx") })
        #expect(error.code == .unsupportedOpset)
        #expect(error.message.contains("old.onnx"))
        #expect(error.message.contains("opset \(version)"))
        #expect(error.message.contains("7 to 21"))
    }

    @Test("Opsets 7 and 21 are accepted")
    func boundaryOpsets() throws {
        for version in [7, 21] {
            var graph = TestGraph(features: 2, outputWidth: 2, opset: version)
            graph.node("Sigmoid", ["x"], ["y"])
            #expect(try graph.load().opsetVersion == version)
        }
    }

    @Test("Every unsupported operator is listed with its node name, other domains included")
    func unsupportedOperators() throws {
        var graph = TestGraph(features: 4, outputWidth: 1)
        graph.extraOpsets = [(domain: "ai.onnx.ml", version: 3)]
        // Every node is on the output's path: nodes the output does not need are not compiled.
        graph.node("TopK", ["x", "k"], ["values", "indices"], name: "topk_1")
        graph.node("Sigmoid", ["values"], ["s"], name: "fine")
        graph.node("Einsum", ["s"], ["e"], name: "e0", [Attr.string("equation", "ij->i")])
        graph.node("NonMaxSuppression", ["e"], ["n"], name: "nms")
        graph.node("SVMRegressor", ["n"], ["m"], name: "svm", domain: "ai.onnx.ml")
        graph.node("Relu", ["m"], ["y"], name: "ms_relu", domain: "com.microsoft")
        graph.node("ZipMap", ["x"], ["unused"], name: "not_needed", domain: "ai.onnx.ml")
        let error = try #require(modelError { _ = try graph.load(path: "model.onnx") })
        #expect(error.code == .unsupportedOperators)
        #expect(
            error.message.hasPrefix(
                "model.onnx uses 5 unsupported operators: TopK (node 'topk_1'), Einsum (node 'e0'), NonMaxSuppression (node 'nms'), ai.onnx.ml.SVMRegressor (node 'svm'), com.microsoft.Relu (node 'ms_relu')"
            ),
            "\(error.message)"
        )
        #expect(!error.message.contains("fine"))
        #expect(!error.message.contains("not_needed"))
    }

    @Test("One unsupported operator is singular; an unnamed node is named by position")
    func singleUnsupported() throws {
        var graph = TestGraph(features: 2, outputWidth: 2)
        graph.node("Sigmoid", ["x"], ["s"])
        graph.node("CumSum", ["s", "axis"], ["y"], name: "")
        let error = try #require(modelError { _ = try graph.load(path: "m.onnx") })
        #expect(error.message.hasPrefix("m.onnx uses 1 unsupported operator: CumSum (node '#1')"))
    }

    @Test("A double or bool input is unsupportedInput naming its type")
    func doubleInput() throws {
        var graph = TestGraph(features: 2, outputWidth: 2)
        graph.inputs = [TestGraph.value("x", elementType: .double, dims: [.symbolic("batch"), .fixed(2)])]
        graph.node("Cast", ["x"], ["y"], [Attr.int("to", 1)])
        let error = try #require(modelError { _ = try graph.load(path: "doubles.onnx") })
        #expect(error.code == .unsupportedInput)
        #expect(error.message.contains("'x'") && error.message.contains("double") && error.message.contains("FloatTensorType"))
        graph.inputs = [TestGraph.value("x", elementType: .bool, dims: [.symbolic("batch"), .fixed(2)])]
        let bools = try #require(modelError { _ = try graph.load(path: "bools.onnx") })
        #expect(bools.code == .unsupportedInput && bools.message.contains("bool"))
    }

    @Test("A 3-D input or a symbolic feature dimension is unsupportedInput")
    func inputShapes() throws {
        var cube = TestGraph(features: 2, outputWidth: 2)
        cube.inputs = [TestGraph.value("x", elementType: .float, dims: [.symbolic("batch"), .fixed(4), .fixed(3)])]
        cube.node("Identity", ["x"], ["y"])
        let cubeError = try #require(modelError { _ = try cube.load() })
        #expect(cubeError.code == .unsupportedInput)
        #expect(cubeError.message.contains("[batch, 4, 3]"))

        var symbolic = TestGraph(features: 2, outputWidth: 2)
        symbolic.inputs = [TestGraph.value("x", elementType: .float, dims: [.symbolic("batch"), .symbolic("features")])]
        symbolic.node("Identity", ["x"], ["y"])
        let symbolicError = try #require(modelError { _ = try symbolic.load() })
        #expect(symbolicError.code == .unsupportedInput)
        #expect(symbolicError.message.contains("[batch, features]"))
    }

    @Test("A node reading an undefined value is invalidGraph naming node and value")
    func undefinedValue() throws {
        var graph = TestGraph(features: 2, outputWidth: 2)
        graph.node("Add", ["x", "bias"], ["y"], name: "add_bias")
        let error = try #require(modelError { _ = try graph.load(path: "g.onnx") })
        #expect(error.code == .invalidGraph)
        #expect(error.message.contains("'add_bias'") && error.message.contains("'bias'") && error.message.contains("g.onnx"))
    }

    @Test("A cycle and a doubly defined value are invalidGraph")
    func cyclesAndDuplicates() throws {
        var cycle = TestGraph(features: 2, outputWidth: 2)
        cycle.node("Add", ["x", "b"], ["a"], name: "first")
        cycle.node("Relu", ["a"], ["b"], name: "second")
        cycle.node("Identity", ["a"], ["y"])
        let cycleError = try #require(modelError { _ = try cycle.load() })
        #expect(cycleError.code == .invalidGraph)
        #expect(cycleError.message.contains("cycle"))

        var duplicate = TestGraph(features: 2, outputWidth: 2)
        duplicate.node("Relu", ["x"], ["y"])
        duplicate.node("Sigmoid", ["x"], ["y"], name: "again")
        let duplicateError = try #require(modelError { _ = try duplicate.load() })
        #expect(duplicateError.code == .invalidGraph)
        #expect(duplicateError.message.contains("'again'"))
    }

    @Test("A bad attribute is invalidGraph naming the node")
    func badAttribute() throws {
        var graph = TestGraph(features: 2, outputWidth: 2, opset: 20)
        graph.node("Gelu", ["x"], ["y"], name: "act", [Attr.string("approximate", "fast")])
        let error = try #require(modelError { _ = try graph.load() })
        #expect(error.code == .invalidGraph)
        #expect(error.message.contains("'act' (Gelu)") && error.message.contains("fast"))
    }

    @Test("Weights that do not fit the input are shapeMismatch at load, naming the node")
    func weightsDoNotFit() throws {
        var graph = TestGraph(features: 3, outputWidth: 1)
        graph.initializer("w", [1, 2, 3, 4], shape: [4, 1])
        graph.node("MatMul", ["x", "w"], ["y"], name: "fc")
        let error = try #require(modelError { _ = try graph.load(path: "fit.onnx") })
        #expect(error.code == .shapeMismatch)
        #expect(error.message.contains("fit.onnx") && error.message.contains("'fc' (MatMul)"))
    }

    @Test("A declared output width that the graph does not compute is shapeMismatch")
    func declaredWidthDiffers() throws {
        var graph = TestGraph(features: 3, outputWidth: 2)
        graph.node("Relu", ["x"], ["y"])
        let error = try #require(modelError { _ = try graph.load() })
        #expect(error.code == .shapeMismatch)
        #expect(error.message.contains("declared with 2"))
    }

    @Test("An output without a batch dimension is shapeMismatch")
    func outputWithoutBatch() throws {
        var graph = TestGraph(features: 3, outputWidth: nil)
        graph.node("ReduceMean", ["x"], ["y"], [Attr.int("keepdims", 0)])
        let error = try #require(modelError { _ = try graph.load() })
        #expect(error.code == .shapeMismatch)
        #expect(error.message.contains("batch"))
    }

    @Test("Codes print their names")
    func codeNames() {
        #expect(ModelError.Code.notONNX.description == "notONNX")
        #expect(ModelError.Code.unsupportedOperators.description == "unsupportedOperators")
        #expect(ModelError.Code.truncated != ModelError.Code.notONNX)
    }
}
