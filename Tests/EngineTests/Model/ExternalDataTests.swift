import Foundation
import Testing

@testable import Engine

@Suite("External tensor data")
struct ExternalDataTests {
    /// A model `y = x · w + b` whose `w` ([2, 1]) and `b` ([1]) are stored outside the model file.
    static func externalModel(
        weights location: String,
        weightsOffset: Int? = nil,
        weightsLength: Int? = 8,
        bias biasLocation: String? = nil,
        biasOffset: Int? = nil
    ) -> TestGraph {
        var graph = TestGraph(features: 2, outputWidth: 1)
        graph.initializers.append(external("w", shape: [2, 1], location: location, offset: weightsOffset, length: weightsLength))
        if let biasLocation {
            graph.initializers.append(external("b", shape: [1], location: biasLocation, offset: biasOffset, length: 4))
        } else {
            graph.initializer("b", [0], shape: [1])
        }
        graph.node("MatMul", ["x", "w"], ["xw"], name: "project")
        graph.node("Add", ["xw", "b"], ["y"])
        return graph
    }

    static func external(_ name: String, shape: [Int], location: String, offset: Int?, length: Int?) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.dims = shape.map { Int64($0) }
        tensor.dataLocation = .external
        var entries: [(String, String)] = [("location", location)]
        if let offset { entries.append(("offset", String(offset))) }
        if let length { entries.append(("length", String(length))) }
        tensor.externalData = entries.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return tensor
    }

    static func floatBytes(_ values: [Float]) -> Data {
        values.withUnsafeBytes { Data($0) }
    }

    @Test("Tensors are read from a shared data file at their offsets")
    func readsOffsetsAndLengths() throws {
        let folder = try TemporaryFolder()
        // 4 bytes of padding, then w = [2, 3], then b = [10].
        var data = Data([0xDE, 0xAD, 0xBE, 0xEF])
        data.append(Self.floatBytes([2, 3]))
        data.append(Self.floatBytes([10]))
        try data.write(to: URL(fileURLWithPath: folder.path + "/weights.bin"))
        let graph = Self.externalModel(weights: "weights.bin", weightsOffset: 4, bias: "weights.bin", biasOffset: 12)
        let model = try ONNXModel.load(path: try graph.write(to: folder))
        #expect(try model.predict([[1, 1], [2, 0]]) == [15, 14])
    }

    @Test("A location in a subfolder and a length-less tensor reading to the end of the file")
    func subfolderAndWholeFile() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path + "/data", withIntermediateDirectories: true)
        try Self.floatBytes([1, -1]).write(to: URL(fileURLWithPath: folder.path + "/data/w.bin"))
        let graph = Self.externalModel(weights: "data/w.bin", weightsLength: nil)
        let model = try ONNXModel.load(path: try graph.write(to: folder))
        #expect(try model.predict([[5, 2]]) == [3])
    }

    @Test("A symbolic link that stays inside the folder is followed")
    func symlinkInsideIsAllowed() throws {
        let folder = try TemporaryFolder()
        try Self.floatBytes([1, 1]).write(to: URL(fileURLWithPath: folder.path + "/real.bin"))
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/link.bin", withDestinationPath: "real.bin")
        let model = try ONNXModel.load(path: try Self.externalModel(weights: "link.bin").write(to: folder))
        #expect(try model.predict([[1, 2]]) == [3])
    }

    @Test("A missing data file is externalData naming the file and tensor")
    func missingFile() throws {
        let folder = try TemporaryFolder()
        let path = try Self.externalModel(weights: "missing.bin").write(to: folder)
        let error = try #require(modelError { _ = try ONNXModel.load(path: path) })
        #expect(error.code == .externalData)
        #expect(error.message.contains(path) && error.message.contains("'missing.bin'") && error.message.contains("'w'"))
    }

    @Test("Absolute locations are refused", arguments: ["/etc/passwd", "/tmp/weights.bin"])
    func absolutePath(location: String) throws {
        let folder = try TemporaryFolder()
        let path = try Self.externalModel(weights: location).write(to: folder)
        let error = try #require(modelError { _ = try ONNXModel.load(path: path) })
        #expect(error.code == .externalData)
        #expect(error.message.contains("absolute"))
    }

    @Test("Locations that climb out with .. are refused", arguments: ["../outside.bin", "data/../../outside.bin", "a/.."])
    func parentComponents(location: String) throws {
        let folder = try TemporaryFolder()
        let path = try Self.externalModel(weights: location).write(to: folder)
        let error = try #require(modelError { _ = try ONNXModel.load(path: path) })
        #expect(error.code == .externalData)
        #expect(error.message.contains("'..'"))
    }

    @Test("A symbolic link leading out of the folder is refused")
    func symlinkEscaping() throws {
        let outside = try TemporaryFolder()
        try Self.floatBytes([1, 1]).write(to: URL(fileURLWithPath: outside.path + "/secret.bin"))
        let folder = try TemporaryFolder()
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/w.bin", withDestinationPath: outside.path + "/secret.bin")
        let path = try Self.externalModel(weights: "w.bin").write(to: folder)
        let error = try #require(modelError { _ = try ONNXModel.load(path: path) })
        #expect(error.code == .externalData)
        #expect(error.message.contains("symbolic link"))
    }

    @Test("A symbolic-link folder escaping is refused too")
    func symlinkedFolderEscaping() throws {
        let outside = try TemporaryFolder()
        try Self.floatBytes([1, 1]).write(to: URL(fileURLWithPath: outside.path + "/w.bin"))
        let folder = try TemporaryFolder()
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/shared", withDestinationPath: outside.path)
        let path = try Self.externalModel(weights: "shared/w.bin").write(to: folder)
        let error = try #require(modelError { _ = try ONNXModel.load(path: path) })
        #expect(error.code == .externalData)
    }

    @Test("Ranges beyond the end of the file and bad offsets are externalData")
    func outOfRange() throws {
        let folder = try TemporaryFolder()
        try Self.floatBytes([1, 2]).write(to: URL(fileURLWithPath: folder.path + "/w.bin"))
        let pastEnd = try Self.externalModel(weights: "w.bin", weightsOffset: 4).write(to: folder, name: "past.onnx")
        let pastEndError = try #require(modelError { _ = try ONNXModel.load(path: pastEnd) })
        #expect(pastEndError.code == .externalData)
        #expect(pastEndError.message.contains("holds only 8 bytes"))

        var badOffset = Self.externalModel(weights: "w.bin")
        badOffset.initializers[0].externalData.append(
            {
                var entry = Onnx_StringStringEntryProto()
                entry.key = "offset"
                entry.value = "-3"
                return entry
            }())
        let badOffsetError = try #require(modelError { _ = try ONNXModel.load(path: try badOffset.write(to: folder, name: "bad.onnx")) })
        #expect(badOffsetError.code == .externalData)
    }

    @Test("A data file of the wrong size for the tensor is invalidGraph")
    func wrongSize() throws {
        let folder = try TemporaryFolder()
        try Self.floatBytes([1, 2, 3]).write(to: URL(fileURLWithPath: folder.path + "/w.bin"))
        let path = try Self.externalModel(weights: "w.bin", weightsLength: nil).write(to: folder)
        let error = try #require(modelError { _ = try ONNXModel.load(path: path) })
        #expect(error.code == .invalidGraph)
        #expect(error.message.contains("12 bytes"))
    }
}
