import Foundation
import Testing

@testable import Engine

@Suite("Loading, compiling and running models")
struct ModelLoadingTests {
    // A 3 → 4 → 2 classifier: Gemm(transB) → Relu → Gemm → Softmax.
    static let w1: [Float] = [0.5, -1, 0.25, 1, 0, -0.5, -0.75, 0.5, 1, 0.2, 0.3, -0.1]  // [4, 3]
    static let b1: [Float] = [0.1, -0.2, 0.3, 0]
    static let w2: [Float] = [1, -1, 0.5, 2, -0.5, 0.25, 0.75, -1]  // [4, 2]
    static let b2: [Float] = [0.05, -0.05]

    static func classifier() -> TestGraph {
        var graph = TestGraph(features: 3, outputWidth: 2)
        graph.initializer("w1", w1, shape: [4, 3])
        graph.initializer("b1", b1, shape: [4])
        graph.initializer("w2", w2, shape: [4, 2])
        graph.initializer("b2", b2, shape: [2])
        graph.node("Gemm", ["x", "w1", "b1"], ["h"], name: "fc1", [Attr.int("transB", 1)])
        graph.node("Relu", ["h"], ["a"], name: "relu1")
        graph.node("Gemm", ["a", "w2", "b2"], ["logits"], name: "fc2")
        graph.node("Softmax", ["logits"], ["y"], name: "softmax")
        graph.metadata = ["feature_columns": "a,b,c", "class_labels": "no,yes"]
        return graph
    }

    /// The classifier computed with plain loops in double precision.
    static func expectedClassifier(_ row: [Float]) -> [Float] {
        var hidden = [Double](repeating: 0, count: 4)
        for j in 0..<4 {
            var sum = Double(b1[j])
            for k in 0..<3 { sum += Double(row[k]) * Double(w1[j * 3 + k]) }
            hidden[j] = max(sum, 0)
        }
        var logits = [Double](repeating: 0, count: 2)
        for j in 0..<2 {
            var sum = Double(b2[j])
            for k in 0..<4 { sum += hidden[k] * Double(w2[k * 2 + j]) }
            logits[j] = sum
        }
        let top = logits.max()!
        let e = logits.map { exp($0 - top) }
        return e.map { Float($0 / e.reduce(0, +)) }
    }

    static let rows: [[Float]] = [[1, 2, 3], [-1, 0.5, 2], [0, 0, 0], [10, -3, 4], [0.3, 0.2, -0.1]]

    @Test("A small classifier predicts what plain loops compute")
    func classifierPredicts() throws {
        let model = try Self.classifier().load()
        let output = try model.predict(Self.rows)
        #expect(output.count == Self.rows.count * 2)
        for (index, row) in Self.rows.enumerated() {
            #expect(close(Array(output[(index * 2)..<(index * 2 + 2)]), Self.expectedClassifier(row), tolerance: 1e-6), "row \(index)")
        }
    }

    @Test("Model properties come from the graph")
    func properties() throws {
        let model = try Self.classifier().load(path: "models/classifier.onnx")
        #expect(model.path == "models/classifier.onnx")
        #expect(model.inputName == "x")
        #expect(model.featureCount == 3)
        #expect(model.outputName == "y")
        #expect(model.outputWidth == 2)
        #expect(model.outputRank == 2)
        #expect(model.outputProducer == "Softmax")
        #expect(model.metadata == ["feature_columns": "a,b,c", "class_labels": "no,yes"])
        #expect(model.opsetVersion == 17)
        #expect(model.producer == "inferwatcher-tests 1.0")
    }

    @Test("Loading from a file works like compiling in memory")
    func loadFromFile() throws {
        let folder = try TemporaryFolder()
        let path = try Self.classifier().write(to: folder)
        let model = try ONNXModel.load(path: path)
        #expect(model.path == path)
        #expect(try model.predict(Self.rows) == (try Self.classifier().load().predict(Self.rows)))
    }

    @Test("The output producer is found through Identity, Squeeze, Reshape and Cast")
    func outputProducerLooksThrough() throws {
        var graph = TestGraph(features: 2, outputWidth: nil)
        graph.initializer("w", [1, 1], shape: [2, 1])
        graph.initializer("flat", ints: [-1])
        graph.node("MatMul", ["x", "w"], ["m"])
        graph.node("Sigmoid", ["m"], ["p"])
        graph.node("Identity", ["p"], ["p1"])
        graph.node("Cast", ["p1"], ["p2"], [Attr.int("to", 1)])
        graph.node("Reshape", ["p2", "flat"], ["y"])
        let model = try graph.load()
        #expect(model.outputProducer == "Sigmoid")
        #expect(model.outputRank == 1)
        #expect(model.outputWidth == 1)
        let output = try model.predict([[0, 0], [1, 1]])
        #expect(close(output, [0.5, 0.880797]))
    }

    @Test("An int64 output (ArgMax labels) is returned as floats")
    func integerOutput() throws {
        var graph = Self.classifier()
        graph.node("ArgMax", ["y"], ["label"], name: "argmax", [Attr.int("axis", 1)])
        graph.outputs = [TestGraph.value("label", elementType: .int64, dims: [.symbolic("batch"), .fixed(1)])]
        let model = try graph.load()
        #expect(model.outputProducer == "ArgMax")
        #expect(model.outputWidth == 1)
        let probabilities = try Self.classifier().load().predict(Self.rows)
        let expected = Self.rows.indices.map { Float(probabilities[$0 * 2 + 1] > probabilities[$0 * 2] ? 1 : 0) }
        #expect(try model.predict(Self.rows) == expected)
    }

    @Test("Constant subgraphs are folded at load time, leaving only input-dependent nodes")
    func constantFolding() throws {
        var graph = TestGraph(features: 4, outputWidth: 4)
        graph.initializer("template", [Float](repeating: 0, count: 8), shape: [2, 4])
        graph.initializer("one", ints: [1], shape: [])
        graph.initializer("axes", ints: [0])
        graph.initializer("minus_one", ints: [-1])
        graph.node("Shape", ["template"], ["template_shape"])
        graph.node("Gather", ["template_shape", "one"], ["columns"])
        graph.node("Unsqueeze", ["columns", "axes"], ["columns_1d"])
        graph.node("Concat", ["minus_one", "columns_1d"], ["target"], [Attr.int("axis", 0)])
        graph.node("Constant", [], ["two"], [Attr.float("value_float", 2)])
        graph.node("Mul", ["two", "two"], ["four"])
        graph.node("Reshape", ["x", "target"], ["reshaped"])
        graph.node("Mul", ["reshaped", "four"], ["y"], name: "scale")
        let model = try graph.load()
        #expect(model.plan.steps.map(\.opType) == ["Reshape", "Mul"])
        #expect(try model.predict([[1, 2, 3, 4]]) == [4, 8, 12, 16])
    }

    @Test("A shape chain on the runtime input runs on int64 tensors")
    func runtimeShapeChain() throws {
        var graph = TestGraph(features: 6, outputWidth: 6)
        graph.initializer("zero", ints: [0], shape: [])
        graph.initializer("axes", ints: [0])
        graph.initializer("split", ints: [2, 3])
        graph.initializer("flat", ints: [-1, 6])
        graph.node("Shape", ["x"], ["shape"])
        graph.node("Gather", ["shape", "zero"], ["batch"])
        graph.node("Unsqueeze", ["batch", "axes"], ["batch_1d"])
        graph.node("Concat", ["batch_1d", "split"], ["target"], [Attr.int("axis", 0)])
        graph.node("Reshape", ["x", "target"], ["cube"])
        graph.node("Transpose", ["cube"], ["swapped"], [Attr.ints("perm", [0, 2, 1])])
        graph.node("Reshape", ["swapped", "flat"], ["y"])
        let model = try graph.load()
        #expect(model.plan.steps.count == 7)
        let output = try model.predict([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]])
        #expect(output == [1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12])
    }

    @Test("A value read by two nodes is not overwritten by the first one's in-place work")
    func sharedValueIsNotClobbered() throws {
        var graph = TestGraph(features: 2, outputWidth: 2)
        graph.node("Relu", ["x"], ["r"])
        graph.node("Neg", ["x"], ["n"])
        graph.node("Sub", ["r", "x"], ["d"])
        graph.node("Add", ["d", "n"], ["y"])
        // y = relu(x) - x - x
        let model = try graph.load()
        #expect(try model.predict([[-1, 2], [3, -4]]) == [2, -2, -3, 8])
    }

    @Test("Nodes stored out of order are sorted topologically")
    func unsortedNodes() throws {
        var graph = Self.classifier()
        graph.nodes.reverse()
        let model = try graph.load()
        // (The Relu is folded into the first Gemm.)
        #expect(model.plan.steps.map(\.nodeName) == ["fc1", "fc2", "softmax"])
        #expect(try model.predict(Self.rows) == (try Self.classifier().load().predict(Self.rows)))
    }

    @Test("Nodes the first output does not need are not run")
    func unusedBranchesArePruned() throws {
        var graph = Self.classifier()
        graph.node("Sigmoid", ["logits"], ["side"], name: "side_branch")
        graph.node("LayerNormalization", ["h", "b1"], ["normed", "mean", "inv"], name: "unused_stats")
        graph.outputs.append(TestGraph.value("side", elementType: .float, dims: nil))
        let model = try graph.load()
        #expect(!model.plan.steps.contains { $0.nodeName == "side_branch" || $0.nodeName == "unused_stats" })
    }

    @Test("Old IR models that list initializers as inputs have one real input")
    func initializersListedAsInputs() throws {
        var graph = Self.classifier()
        graph.irVersion = 3
        for name in ["w1", "b1", "w2", "b2"] {
            graph.inputs.append(TestGraph.value(name, elementType: .float, dims: nil))
        }
        let model = try graph.load()
        #expect(model.inputName == "x")
        #expect(try model.predict(Self.rows).count == 10)
    }

    @Test("Zero rows give an empty result; a short buffer is a shape mismatch")
    func batchEdges() throws {
        let model = try Self.classifier().load()
        let empty = try [Float]().withUnsafeBufferPointer { try model.predict($0, rows: 0) }
        #expect(empty.isEmpty)
        let short: [Float] = [1, 2, 3, 4]
        #expect {
            _ = try short.withUnsafeBufferPointer { try model.predict($0, rows: 2) }
        } throws: { error in
            (error as? ModelError)?.code == .shapeMismatch
        }
    }

    @Test("Large batches match row-by-row predictions")
    func largeBatch() throws {
        let model = try Self.classifier().load()
        var generator = SampleColumns.Generator(state: 42)
        let rows = (0..<5000).map { _ in (0..<3).map { _ in Float.random(in: -5...5, using: &generator) } }
        let batch = try model.predict(rows)
        for index in stride(from: 0, to: rows.count, by: 397) {
            #expect(close(Array(batch[(index * 2)..<(index * 2 + 2)]), try model.predict([rows[index]]), tolerance: 1e-6))
        }
    }

    @Test("Concurrent predictions on one model agree with serial ones")
    func concurrentPredictions() async throws {
        let model = try Self.classifier().load()
        let batches: [[[Float]]] = (0..<16).map { seed in
            var generator = SampleColumns.Generator(state: UInt64(seed + 1))
            return (0..<257).map { _ in (0..<3).map { _ in Float.random(in: -3...3, using: &generator) } }
        }
        let serial = try batches.map { try model.predict($0) }
        let parallel = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, batch) in batches.enumerated() {
                group.addTask { (index, try model.predict(batch)) }
            }
            var results = [[Float]](repeating: [], count: batches.count)
            for try await (index, output) in group { results[index] = output }
            return results
        }
        #expect(parallel == serial)
    }

    /// A 10 → 64 → 32 → 1 sigmoid MLP with seeded weights, the engine's typical model.
    static func typicalMLP() -> TestGraph {
        var generator = SampleColumns.Generator(state: 7)
        func weights(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -0.3...0.3, using: &generator) } }
        var graph = TestGraph(features: 10, outputWidth: 1)
        graph.initializer("w1", weights(640), shape: [64, 10])
        graph.initializer("b1", weights(64), shape: [64])
        graph.initializer("w2", weights(2048), shape: [32, 64])
        graph.initializer("b2", weights(32), shape: [32])
        graph.initializer("w3", weights(32), shape: [1, 32])
        graph.initializer("b3", weights(1), shape: [1])
        graph.node("Gemm", ["x", "w1", "b1"], ["h1"], [Attr.int("transB", 1)])
        graph.node("Relu", ["h1"], ["a1"])
        graph.node("Gemm", ["a1", "w2", "b2"], ["h2"], [Attr.int("transB", 1)])
        graph.node("Relu", ["h2"], ["a2"])
        graph.node("Gemm", ["a2", "w3", "b3"], ["logit"], [Attr.int("transB", 1)])
        graph.node("Sigmoid", ["logit"], ["y"])
        return graph
    }

    @Test("Concurrent 4096-row batches through the matrix kernels agree with serial ones")
    func concurrentLargeBatches() async throws {
        let model = try Self.typicalMLP().load()
        let batches: [[Float]] = (0..<6).map { seed in
            var generator = SampleColumns.Generator(state: UInt64(100 + seed))
            return (0..<(4096 * 10)).map { _ in Float.random(in: -2...2, using: &generator) }
        }
        let serial = try batches.map { batch in try batch.withUnsafeBufferPointer { try model.predict($0, rows: 4096) } }
        for _ in 0..<3 {
            let parallel = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
                for (index, batch) in batches.enumerated() {
                    group.addTask { (index, try batch.withUnsafeBufferPointer { try model.predict($0, rows: 4096) }) }
                }
                var results = [[Float]](repeating: [], count: batches.count)
                for try await (index, output) in group { results[index] = output }
                return results
            }
            for index in batches.indices {
                #expect(close(parallel[index], serial[index], tolerance: 1e-6), "batch \(index)")
            }
        }
    }

    @Test("OpenBLAS, the fallback, loads on demand; setBLASThreads can be called before predicting")
    func blasThreads() throws {
        ONNXModel.setBLASThreads(1)
        #expect(ONNXModel.blasCoreName != "unavailable", "libopenblas.so.0 (Debian's libopenblas0) should be installed")
        let model = try Self.classifier().load()
        #expect(try model.predict(Self.rows).count == 10)
    }
}
