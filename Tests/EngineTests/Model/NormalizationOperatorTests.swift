import Foundation
import Testing

@testable import Engine

@Suite("Softmax, normalisation and reductions")
struct NormalizationOperatorTests {
    @Test("Softmax over the last axis (opset 13)")
    func softmaxLastAxis() throws {
        let y = try runSingle("Softmax", opset: 13, floats([1, 2, 3, 1, 1, 1], [2, 3]))
        let e = [exp(1.0), exp(2.0), exp(3.0)]
        let s = e.reduce(0, +)
        let expected: [Float] = [Float(e[0] / s), Float(e[1] / s), Float(e[2] / s), 1 / 3, 1 / 3, 1 / 3]
        #expect(close(y.floats, expected))
    }

    @Test("Softmax on a middle axis (opset 13) normalises that axis only")
    func softmaxMiddleAxis() throws {
        let x = floats([0, 0, 0, Float(log(3.0))], [1, 2, 2])
        let y = try runSingle("Softmax", opset: 13, attributes: [Attr.int("axis", 1)], x)
        #expect(close(y.floats, [0.5, 0.25, 0.5, 0.75]))
    }

    @Test("Softmax before opset 13 coerces to 2-D at axis 1")
    func softmaxCoerced() throws {
        // Shape [1, 2, 2]: opset 11 normalises over all 4 values; opset 13 over the last axis.
        let x = floats([0, 0, 0, Float(log(5.0))], [1, 2, 2])
        let legacy = try runSingle("Softmax", opset: 11, x)
        #expect(close(legacy.floats, [0.125, 0.125, 0.125, 0.625]))
        let modern = try runSingle("Softmax", opset: 13, x)
        #expect(close(modern.floats, [0.5, 0.5, 1.0 / 6, 5.0 / 6]))
    }

    @Test("Softmax is stable for large logits")
    func softmaxLarge() throws {
        let y = try runSingle("Softmax", floats([1000, 1000], [1, 2]))
        #expect(y.floats == [0.5, 0.5])
    }

    @Test("LogSoftmax")
    func logSoftmax() throws {
        let y = try runSingle("LogSoftmax", floats([1, 2, 3], [1, 3]))
        let logSum: Double = log(exp(1.0) + exp(2.0) + exp(3.0))
        let expected: [Float] = [1.0, 2.0, 3.0].map { Float($0 - logSum) }
        #expect(close(y.floats, expected))
    }

    @Test("BatchNormalization uses the running statistics per channel")
    func batchNormalization() throws {
        let x = floats([1, 2, 3, 4], [2, 2])
        let y = try runSingle(
            "BatchNormalization",
            attributes: [Attr.float("epsilon", 0)],
            x, floats([1, 2], [2]), floats([0, 1], [2]), floats([1, 2], [2]), floats([4, 1], [2]))
        // channel 0: (x - 1) / 2 · 1 + 0; channel 1: (x - 2) / 1 · 2 + 1
        #expect(y.floats == [0, 1, 1, 5])
    }

    @Test("BatchNormalization on [N, C, L] applies per channel over L")
    func batchNormalization3D() throws {
        let x = floats([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])
        let y = try runSingle(
            "BatchNormalization",
            attributes: [Attr.float("epsilon", 0)],
            x, floats([1, 1], [2]), floats([0, 10], [2]), floats([0, 0], [2]), floats([1, 1], [2]))
        #expect(y.floats == [1, 2, 13, 14, 5, 6, 17, 18])
    }

    @Test("LayerNormalization over the last axis with scale and bias")
    func layerNormalization() throws {
        let x = floats([1, 2, 3, 4, 2, 2, 2, 2], [2, 4])
        let outputs = try runOperator(
            "LayerNormalization",
            [Attr.float("epsilon", 0)],
            inputs: [x, floats([1, 1, 2, 2], [4]), floats([0, 0, 0, 1], [4])],
            outputCount: 3
        )
        let mean = 2.5
        let deviation: Double = 1.25.squareRoot()
        let scale: [Double] = [1, 1, 2, 2]
        let bias: [Double] = [0, 0, 0, 1]
        let row: [Double] = [1, 2, 3, 4]
        let expectedRow0: [Float] = (0..<4).map { i in Float((row[i] - mean) / deviation * scale[i] + bias[i]) }
        #expect(close(Array(outputs[0].floats[0..<4]), expectedRow0, tolerance: 1e-6))
        #expect(outputs[1].shape == [2, 1])
        #expect(close(outputs[1].floats, [2.5, 2]))
        #expect(close([outputs[2].floats[0]], [Float(1 / deviation)]))
        // A constant row normalises to zeros (plus bias) with epsilon 0 and variance 0: division by zero gives NaN, as in ONNX.
        #expect(outputs[0].floats[4].isNaN)
    }

    @Test("LayerNormalization with axis 1 on a 3-D tensor normalises the trailing block")
    func layerNormalizationAxis() throws {
        let x = floats([1, 3, 1, 3, 0, 4, 0, 4], [2, 2, 2])
        let y = try runSingle("LayerNormalization", attributes: [Attr.int("axis", 1), Attr.float("epsilon", 0)], x, floats([1], [1]))
        #expect(close(y.floats, [-1, 1, -1, 1, -1, 1, -1, 1]))
    }

    @Test("ReduceMean with axes as attribute (opset 17) and as input (opset 18)")
    func reduceMean() throws {
        let x = floats([1, 2, 3, 4, 5, 6], [2, 3])
        let rows = try runSingle("ReduceMean", opset: 17, attributes: [Attr.ints("axes", [1])], x)
        #expect(rows.shape == [2, 1])
        #expect(rows.floats == [2, 5])
        let columns = try runSingle("ReduceMean", opset: 18, attributes: [Attr.int("keepdims", 0)], x, ints([0]))
        #expect(columns.shape == [3])
        #expect(columns.floats == [2.5, 3.5, 4.5])
        let all = try runSingle("ReduceMean", opset: 18, x)
        #expect(all.shape == [1, 1])
        #expect(all.floats == [3.5])
        let noop = try runSingle("ReduceMean", opset: 18, attributes: [Attr.int("noop_with_empty_axes", 1)], x)
        #expect(noop.shape == [2, 3])
    }

    @Test("ReduceSum takes axes as an input from opset 13; ReduceMax, ReduceMin, ReduceL2")
    func otherReductions() throws {
        let x = floats([1, -2, 3, 4, 5, -6], [2, 3])
        #expect(try runSingle("ReduceSum", opset: 13, x, ints([1])).floats == [2, 3])
        #expect(try runSingle("ReduceSum", opset: 11, attributes: [Attr.ints("axes", [0])], x).floats == [5, 3, -3])
        #expect(try runSingle("ReduceMax", opset: 17, attributes: [Attr.ints("axes", [-1])], x).floats == [3, 5])
        #expect(
            try runSingle("ReduceMin", opset: 17, attributes: [Attr.ints("axes", [0]), Attr.int("keepdims", 0)], x).floats == [1, -2, -6])
        let norms: [Float] = [Float(14.0.squareRoot()), Float(77.0.squareRoot())]
        #expect(close(try runSingle("ReduceL2", opset: 17, attributes: [Attr.ints("axes", [1])], x).floats, norms))
        #expect(try runSingle("ReduceSum", opset: 13, ints([1, 2, 3]), ints([0])).ints == [6])
    }

    @Test("ArgMax and ArgMin pick indices along an axis, ties to the first unless select_last_index")
    func argExtremum() throws {
        let x = floats([1, 3, 3, 0, -1, 5], [2, 3])
        let rows = try runSingle("ArgMax", attributes: [Attr.int("axis", 1)], x)
        #expect(rows.shape == [2, 1])
        #expect(rows.ints == [1, 2])
        let last = try runSingle("ArgMax", attributes: [Attr.int("axis", 1), Attr.int("keepdims", 0), Attr.int("select_last_index", 1)], x)
        #expect(last.shape == [2])
        #expect(last.ints == [2, 2])
        #expect(try runSingle("ArgMin", x).ints == [1, 1, 0])
    }
}
