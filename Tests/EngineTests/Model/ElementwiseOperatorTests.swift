import Foundation
import Testing

@testable import Engine

@Suite("Elementwise operators")
struct ElementwiseOperatorTests {
    @Test("Add with equal shapes")
    func addSameShape() throws {
        let y = try runSingle("Add", floats([1, 2, 3, 4], [2, 2]), floats([10, 20, 30, 40], [2, 2]))
        #expect(y.shape == [2, 2])
        #expect(y.floats == [11, 22, 33, 44])
    }

    @Test("Sub with a scalar on either side")
    func subScalar() throws {
        let right = try runSingle("Sub", floats([1, 2, 3], [3]), floats([1], []))
        #expect(right.floats == [0, 1, 2])
        let left = try runSingle("Sub", floats([10], []), floats([1, 2, 3], [1, 3]))
        #expect(left.shape == [1, 3])
        #expect(left.floats == [9, 8, 7])
    }

    @Test("Mul broadcasts a bias row over the batch")
    func mulTrailingRow() throws {
        let y = try runSingle("Mul", floats([1, 2, 3, 4, 5, 6], [2, 3]), floats([10, 100, 1000], [3]))
        #expect(y.shape == [2, 3])
        #expect(y.floats == [10, 200, 3000, 40, 500, 6000])
    }

    @Test("a short row [k] over many rows [n, k] (the repeated-pattern loop and its tail), either side", arguments: [1, 3, 10, 63])
    func shortRowOverManyRows(k: Int) throws {
        for n in [1, 7, 2 * 64 / k + 1, 301] {
            let x = (0..<n * k).map { Float($0 % 97) * 0.37 - 11 }
            let c = (0..<k).map { Float($0) * 1.7 + 0.3 }
            let divided = try runSingle("Div", floats(x, [n, k]), floats(c, [k]))
            #expect(divided.shape == [n, k])
            #expect(divided.floats == x.indices.map { x[$0] / c[$0 % k] }, "k \(k), n \(n)")
            let subtracted = try runSingle("Sub", floats(c, [1, k]), floats(x, [n, k]))
            #expect(subtracted.floats == x.indices.map { c[$0 % k] - x[$0] }, "k \(k), n \(n)")
        }
    }

    @Test("Div broadcasts a column [N, 1] across columns")
    func divColumn() throws {
        let y = try runSingle("Div", floats([2, 4, 6, 9, 12, 15], [2, 3]), floats([2, 3], [2, 1]))
        #expect(y.floats == [1, 2, 3, 3, 4, 5])
    }

    @Test("Div with the full-shape operand on the right keeps operand order")
    func divMirrored() throws {
        let y = try runSingle("Div", floats([12], [1, 1]), floats([1, 2, 3, 4], [2, 2]))
        #expect(y.shape == [2, 2])
        #expect(y.floats == [12, 6, 4, 3])
        let z = try runSingle("Sub", floats([1, 2], [2]), floats([10, 20, 30, 40], [2, 2]))
        #expect(z.floats == [-9, -18, -29, -38])
    }

    @Test("Add broadcasts [2, 1, 3] with [4, 1] to [2, 4, 3]")
    func addGeneralBroadcast() throws {
        let a = floats([0, 1, 2, 10, 11, 12], [2, 1, 3])
        let b = floats([100, 200, 300, 400], [4, 1])
        let y = try runSingle("Add", a, b)
        #expect(y.shape == [2, 4, 3])
        var expected: [Float] = []
        for i in 0..<2 {
            for j in 0..<4 {
                for k in 0..<3 {
                    expected.append(a.floats[i * 3 + k] + b.floats[j])
                }
            }
        }
        #expect(y.floats == expected)
    }

    @Test("Mul broadcasts a middle axis [3, 1, 2] with [1, 4, 1]")
    func mulBothBroadcast() throws {
        let a = floats([1, 2, 3, 4, 5, 6], [3, 1, 2])
        let b = floats([1, 10, 100, 1000], [1, 4, 1])
        let y = try runSingle("Mul", a, b)
        #expect(y.shape == [3, 4, 2])
        var expected: [Float] = []
        for i in 0..<3 {
            for j in 0..<4 {
                for k in 0..<2 {
                    expected.append(a.floats[i * 2 + k] * b.floats[j])
                }
            }
        }
        #expect(y.floats == expected)
    }

    @Test("Add broadcasts a block in the middle: [2, 3, 2] + [3, 1]")
    func addMiddleBlock() throws {
        let a = floats((0..<12).map(Float.init), [2, 3, 2])
        let b = floats([100, 200, 300], [3, 1])
        let y = try runSingle("Add", a, b)
        #expect(y.floats == [100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311])
    }

    @Test("Incompatible shapes are a shape mismatch naming both shapes")
    func incompatibleShapes() {
        #expect {
            _ = try runSingle("Add", floats([1, 2, 3], [3]), floats([1, 2], [2]))
        } throws: { error in
            let failure = error as? OperatorError
            return failure?.code == .shapeMismatch && failure?.detail.contains("[3] and [2]") == true
        }
    }

    @Test("Integer arithmetic for shape computations")
    func integerArithmetic() throws {
        #expect(try runSingle("Mul", ints([2, 3]), ints([4], [])).ints == [8, 12])
        #expect(try runSingle("Div", ints([7, -7]), ints([2], [])).ints == [3, -3])
        #expect(try runSingle("Sub", ints([5]), ints([1, 2, 3])).ints == [4, 3, 2])
        #expect(throws: OperatorError.self) { try runSingle("Div", ints([1]), ints([0])) }
    }

    @Test("Pow with float and int64 exponents")
    func pow() throws {
        #expect(try runSingle("Pow", floats([1, 2, 3], [3]), floats([2], [])).floats == [1, 4, 9])
        #expect(try runSingle("Pow", floats([4, 9], [2]), floats([0.5], [])).floats == [2, 3])
        #expect(try runSingle("Pow", floats([2, 3], [2]), ints([3], [])).floats == [8, 27])
    }

    @Test("Max, Min and Sum are variadic")
    func variadic() throws {
        let max = try runSingle("Max", floats([1, 5], [2]), floats([3, 2], [2]), floats([0, 9], [2]))
        #expect(max.floats == [3, 9])
        let min = try runSingle("Min", floats([1, 5], [2]), floats([3], []))
        #expect(min.floats == [1, 3])
        let sum = try runSingle("Sum", floats([1, 2], [2]), floats([10, 20], [2]), floats([100], [1]))
        #expect(sum.floats == [111, 122])
    }

    @Test("PRelu applies a per-channel slope")
    func prelu() throws {
        let y = try runSingle("PRelu", floats([-1, 2, -3, 4], [2, 2]), floats([0.5, 0.25], [2]))
        #expect(y.floats == [-0.5, 2, -1.5, 4])
    }

    @Test("Relu, LeakyRelu, Sigmoid, Tanh")
    func activations() throws {
        #expect(try runSingle("Relu", floats([-1, 0, 2], [3])).floats == [0, 0, 2])
        #expect(try runSingle("LeakyRelu", floats([-1, 2], [2])).floats == [-0.01, 2])
        #expect(try runSingle("LeakyRelu", attributes: [Attr.float("alpha", 0.2)], floats([-1, 2], [2])).floats == [-0.2, 2])
        let sigmoid = try runSingle("Sigmoid", floats([0, 2, -2, -100, 100], [5])).floats
        #expect(close(sigmoid, [0.5, 0.880797, 0.1192029, 0, 1]))
        let tanh = try runSingle("Tanh", floats([0, 1, -0.5], [3])).floats
        #expect(close(tanh, [0, 0.7615942, -0.46211716]))
    }

    @Test("Erf matches the double-precision function to float precision")
    func erfAccuracy() throws {
        let xs: [Float] = stride(from: -4, through: 4, by: 0.01).map { Float($0) }
        let y = try runSingle("Erf", floats(xs, [xs.count])).floats
        for (x, value) in zip(xs, y) {
            #expect(abs(Double(value) - Foundation.erf(Double(x))) <= 1.2e-7, "erf(\(x))")
        }
    }

    @Test("Gelu exact and tanh approximation")
    func gelu() throws {
        let xs: [Float] = [-3, -1, -0.5, 0, 0.5, 1, 3]
        let exact = try runSingle("Gelu", opset: 20, floats(xs, [xs.count])).floats
        let approx = try runSingle("Gelu", opset: 20, attributes: [Attr.string("approximate", "tanh")], floats(xs, [xs.count])).floats
        for (i, x) in xs.enumerated() {
            let d = Double(x)
            let expectedExact = 0.5 * d * (1 + Foundation.erf(d / 2.0.squareRoot()))
            let expectedTanh = 0.5 * d * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))
            #expect(abs(Double(exact[i]) - expectedExact) < 1e-6)
            #expect(abs(Double(approx[i]) - expectedTanh) < 1e-6)
        }
        #expect(abs(exact[5] - approx[5]) > 1e-5, "the two Gelu forms differ slightly")
    }

    @Test("Sqrt, Exp, Log, Neg, Abs, Reciprocal")
    func math() throws {
        #expect(try runSingle("Sqrt", floats([4, 9], [2])).floats == [2, 3])
        #expect(close(try runSingle("Exp", floats([0, 1], [2])).floats, [1, 2.7182817]))
        #expect(close(try runSingle("Log", floats([1, 2.7182817], [2])).floats, [0, 1]))
        #expect(try runSingle("Neg", floats([1, -2], [2])).floats == [-1, 2])
        #expect(try runSingle("Abs", floats([1, -2], [2])).floats == [1, 2])
        #expect(try runSingle("Neg", ints([3, -4])).ints == [-3, 4])
        #expect(try runSingle("Reciprocal", floats([2, 4], [2])).floats == [0.5, 0.25])
    }

    @Test("Clip: attributes before opset 11, optional inputs since")
    func clip() throws {
        let x = floats([-5, -1, 0, 1, 5], [5])
        #expect(
            try runSingle("Clip", opset: 10, attributes: [Attr.float("min", -1), Attr.float("max", 2)], x).floats == [-1, -1, 0, 1, 2])
        #expect(try runSingle("Clip", opset: 13, x, floats([-2], []), floats([3], [])).floats == [-2, -1, 0, 1, 3])
        #expect(try runSingle("Clip", opset: 13, x, nil, floats([0], [])).floats == [-5, -1, 0, 0, 0])
        #expect(try runSingle("Clip", opset: 13, x, floats([0], [])).floats == [0, 0, 0, 1, 5])
        #expect(try runSingle("Clip", opset: 13, x).floats == x.floats)
    }

    @Test("Comparisons produce booleans and Where selects")
    func comparisonsAndWhere() throws {
        let equal = try runSingle("Equal", ints([1, 0, 3]), ints([1], []))
        #expect(equal.ints == [1, 0, 0])
        let less = try runSingle("Less", floats([1, 5], [2]), floats([3], []))
        #expect(less.ints == [1, 0])
        let selected = try runSingle("Where", equal, ints([7, 8, 9]), ints([-1], []))
        #expect(selected.ints == [7, -1, -1])
        #expect(try runSingle("Not", equal).ints == [0, 1, 1])
    }

    @Test("Dropout is the identity at inference and can emit a mask")
    func dropout() throws {
        let outputs = try runOperator("Dropout", opset: 13, inputs: [floats([1, 2], [2])], outputCount: 2)
        #expect(outputs[0].floats == [1, 2])
        #expect(outputs[1].ints == [1, 1])
    }
}
