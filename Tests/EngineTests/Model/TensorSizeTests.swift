import Foundation
import Testing

@testable import Engine

/// A model's tensors must hold the bytes their shapes declare; anything else is refused at load,
/// before the engine allocates for it.
@Suite("Tensor sizes are checked before allocating")
struct TensorSizeTests {
    /// `y = x · w + b` with `w` replaced by `weights`.
    static func graph(weights: Onnx_TensorProto) -> TestGraph {
        var graph = TestGraph(features: 2, outputWidth: 1)
        graph.initializers.append(weights)
        graph.initializer("b", [0], shape: [1])
        graph.node("MatMul", ["x", "w"], ["xw"])
        graph.node("Add", ["xw", "b"], ["y"])
        return graph
    }

    static func refusal(_ weights: Onnx_TensorProto) -> ModelError? {
        do {
            _ = try graph(weights: weights).load()
            return nil
        } catch {
            return error
        }
    }

    @Test("raw_data shorter or longer than the shape needs")
    func rawData() throws {
        var w = TestGraph.floatTensor("w", [], shape: [2, 1])
        w.rawData = Data(count: 4)
        let error = try #require(Self.refusal(w))
        #expect(error.code == .invalidGraph)
        #expect(error.message == "test.onnx: tensor 'w' has 4 bytes of data but its shape [2, 1] needs 8; re-export the model")
        w.rawData = Data(count: 12)
        #expect(Self.refusal(w)?.code == .invalidGraph)
    }

    @Test("typed repeated fields with fewer values than the shape declares")
    func typedFields() throws {
        let w = TestGraph.floatTensor("w", [1], shape: [1_000_000_000, 1])
        let error = try #require(Self.refusal(w))
        #expect(error.message.contains("has 1 values but its shape [1000000000, 1] needs 1000000000"))
    }

    @Test(
        "dims whose product overflows, or a negative dim, are an impossible shape",
        arguments: [
            [Int64.max, 2], [1 << 32, 1 << 32], [-1, 2], [2, Int64.min],
        ])
    func impossibleShapes(dims: [Int64]) throws {
        var w = TestGraph.floatTensor("w", [1, 2], shape: [])
        w.dims = dims
        let error = try #require(Self.refusal(w))
        #expect(error.code == .invalidGraph)
        #expect(error.message.contains("has an impossible shape"))
    }

    @Test("external data: a length that disagrees with the shape, or one near Int.max, is refused before reading")
    func externalLengths() throws {
        let folder = try TemporaryFolder()
        try ExternalDataTests.floatBytes([1, 2, 3, 4]).write(to: URL(fileURLWithPath: folder.path + "/w.bin"))
        for (length, expected) in [
            (16, "has external data of 16 bytes but its shape [2, 1] needs 8"),
            (Int(Int64.max), "has external data of \(Int64.max) bytes but its shape [2, 1] needs 8"),
        ] {
            let graph = ExternalDataTests.externalModel(weights: "w.bin", weightsOffset: 4, weightsLength: length)
            var thrown: ModelError?
            do { _ = try ONNXModel.load(path: try graph.write(to: folder)) } catch let error as ModelError { thrown = error }
            #expect(thrown?.message.contains(expected) == true, "\(String(describing: thrown))")
        }
    }

    @Test("external data without a length: the rest of a larger file is refused, not read")
    func externalWholeFileTooLarge() throws {
        let folder = try TemporaryFolder()
        // 1 MiB of data for a tensor that needs 8 bytes.
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: folder.path + "/w.bin"))
        let graph = ExternalDataTests.externalModel(weights: "w.bin", weightsLength: nil)
        var thrown: ModelError?
        do { _ = try ONNXModel.load(path: try graph.write(to: folder)) } catch let error as ModelError { thrown = error }
        #expect(thrown?.code == .invalidGraph)
        #expect(thrown?.message.contains("has 1048576 bytes of external data in 'w.bin' but its shape and type need 8") == true)
    }

    @Test("an offset past the end with a huge length does not overflow")
    func externalOffsetOverflow() throws {
        let folder = try TemporaryFolder()
        try Data(count: 16).write(to: URL(fileURLWithPath: folder.path + "/w.bin"))
        let local = ExternalDataReader(modelPath: folder.path + "/model.onnx")
        var thrown: ModelError?
        do {
            _ = try local.read(location: "w.bin", offset: 8, length: Int.max, expectedLength: 8, tensorName: "w")
        } catch {
            thrown = error
        }
        #expect(thrown?.code == .externalData)
        #expect(thrown?.message.contains("needs \(Int.max) bytes from offset 8 of 'w.bin', which holds only 16 bytes") == true)
    }
}
