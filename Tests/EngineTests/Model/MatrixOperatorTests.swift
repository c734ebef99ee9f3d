import Testing

@testable import Engine

@Suite("Gemm and MatMul")
struct MatrixOperatorTests {
    // A = [[1, 2, 3], [4, 5, 6]] (2×3), B = [[1, 0], [0, 1], [1, 1]] (3×2): A·B = [[4, 5], [10, 11]].
    let a = floats([1, 2, 3, 4, 5, 6], [2, 3])
    let b = floats([1, 0, 0, 1, 1, 1], [3, 2])

    @Test("Gemm multiplies and adds a bias row")
    func gemmWithBias() throws {
        let y = try runSingle("Gemm", a, b, floats([100, 200], [2]))
        #expect(y.shape == [2, 2])
        #expect(y.floats == [104, 205, 110, 211])
    }

    @Test("Gemm alpha and beta scale the product and C")
    func gemmAlphaBeta() throws {
        let y = try runSingle("Gemm", attributes: [Attr.float("alpha", 2), Attr.float("beta", 0.5)], a, b, floats([100, 200], [1, 2]))
        #expect(y.floats == [58, 110, 70, 122])
    }

    @Test("Gemm transA and transB read transposed operands")
    func gemmTranspose() throws {
        let aT = floats([1, 4, 2, 5, 3, 6], [3, 2])
        let bT = floats([1, 0, 1, 0, 1, 1], [2, 3])
        let y = try runSingle("Gemm", attributes: [Attr.int("transA", 1), Attr.int("transB", 1)], aT, bT)
        #expect(y.floats == [4, 5, 10, 11])
    }

    @Test("Gemm broadcasts C as a scalar, a column and a full matrix")
    func gemmBiasShapes() throws {
        #expect(try runSingle("Gemm", a, b, floats([1], [])).floats == [5, 6, 11, 12])
        #expect(try runSingle("Gemm", a, b, floats([1, 2], [2, 1])).floats == [5, 6, 12, 13])
        #expect(try runSingle("Gemm", a, b, floats([1, 2, 3, 4], [2, 2])).floats == [5, 7, 13, 15])
        #expect(try runSingle("Gemm", opset: 13, a, b).floats == [4, 5, 10, 11])
    }

    @Test("Gemm rejects mismatched inner dimensions")
    func gemmMismatch() {
        #expect(throws: OperatorError.self) { try runSingle("Gemm", a, a) }
        #expect(throws: OperatorError.self) { try runSingle("Gemm", a, b, floats([1, 2, 3], [3])) }
    }

    @Test("MatMul of two matrices")
    func matmul2D() throws {
        let y = try runSingle("MatMul", a, b)
        #expect(y.shape == [2, 2])
        #expect(y.floats == [4, 5, 10, 11])
    }

    @Test("MatMul with 1-D operands drops the promoted axis")
    func matmulVectors() throws {
        let vector = floats([1, 1, 1], [3])
        let left = try runSingle("MatMul", vector, b)
        #expect(left.shape == [2])
        #expect(left.floats == [2, 2])
        let right = try runSingle("MatMul", a, vector)
        #expect(right.shape == [2])
        #expect(right.floats == [6, 15])
        let dot = try runSingle("MatMul", vector, floats([1, 2, 3], [3]))
        #expect(dot.shape == [])
        #expect(dot.floats == [6])
    }

    @Test("MatMul of a batch against one matrix")
    func matmulBatchedLeft() throws {
        let batch = floats([1, 2, 3, 4, 5, 6, 1, 1, 1, 2, 2, 2], [2, 2, 3])
        let y = try runSingle("MatMul", batch, b)
        #expect(y.shape == [2, 2, 2])
        #expect(y.floats == [4, 5, 10, 11, 2, 2, 4, 4])
    }

    @Test("MatMul broadcasts batch axes on both sides")
    func matmulBroadcastBatches() throws {
        // left [2, 1, 1, 2], right [3, 2, 1]: batch [2, 3], each a [1, 2]·[2, 1] product.
        let left = floats([1, 2, 3, 4], [2, 1, 1, 2])
        let right = floats([1, 0, 0, 1, 1, 1], [3, 2, 1])
        let y = try runSingle("MatMul", left, right)
        #expect(y.shape == [2, 3, 1, 1])
        #expect(y.floats == [1, 2, 3, 3, 4, 7])
        // A single left matrix against a batch of right matrices.
        let z = try runSingle("MatMul", floats([1, 2], [1, 2]), right)
        #expect(z.shape == [3, 1, 1])
        #expect(z.floats == [1, 2, 3])
    }

    @Test("MatMul with an empty inner dimension yields zeros")
    func matmulEmptyInner() throws {
        let y = try runSingle("MatMul", floats([], [2, 0]), floats([], [0, 3]))
        #expect(y.shape == [2, 3])
        #expect(y.floats == [0, 0, 0, 0, 0, 0])
    }

    @Test("a Relu that is a Gemm's only reader is folded into it, with the same bits")
    func reluFusion() throws {
        func graph(extraReader: Bool) -> TestGraph {
            var graph = TestGraph(features: 3, outputWidth: 2)
            graph.initializer("w1", [0.5, -1, 2, 1.5, -0.25, 0.75, -2, 1, 0.3, 0.1, -0.6, 0.9], shape: [4, 3])
            graph.initializer("b1", [0.1, -0.2, 0.3, -0.4], shape: [4])
            graph.initializer("w2", [1, -1, 0.5, 2, -0.5, 1, 0.25, -2], shape: [4, 2])
            graph.node("Gemm", ["x", "w1", "b1"], ["h"], name: "fc1", [Attr.int("transB", 1)])
            graph.node("Relu", ["h"], ["a"], name: "relu1")
            guard extraReader else {
                graph.node("MatMul", ["a", "w2"], ["y"], name: "fc2")
                return graph
            }
            // A second reader of h keeps the Relu separate: here an empty slice of h, appended to
            // the output so that it is needed but leaves the output's bits alone.
            graph.node("MatMul", ["a", "w2"], ["y0"], name: "fc2")
            graph.initializer("zero", ints: [0], shape: [1])
            graph.initializer("one", ints: [1], shape: [1])
            graph.node("Slice", ["h", "zero", "zero", "one"], ["nothing"], name: "keep")
            graph.node("Concat", ["y0", "nothing"], ["y"], name: "append", [Attr.int("axis", 1)])
            return graph
        }
        let fused = try graph(extraReader: false).load()
        let separate = try graph(extraReader: true).load()
        #expect(fused.plan.steps.map(\.opType) == ["Gemm", "MatMul"])
        #expect(separate.plan.steps.map(\.opType) == ["Gemm", "Relu", "MatMul", "Slice", "Concat"])
        var generator = SplitMix64(seed: 17)
        var rows = (0..<600).map { _ in Float(Int(generator.next() % 2001) - 1000) / 100 }
        rows[4] = .nan
        let a = try rows.withUnsafeBufferPointer { buffer throws(ModelError) in try fused.predict(buffer, rows: 200) }
        let b = try rows.withUnsafeBufferPointer { buffer throws(ModelError) in try separate.predict(buffer, rows: 200) }
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(a.contains { $0 != 0 })
    }
}
