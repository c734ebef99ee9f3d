import Testing

@testable import Engine

@Suite("Shape and data-movement operators")
struct ShapeOperatorTests {
    let x = floats((0..<6).map(Float.init), [2, 3])

    @Test("Reshape copies 0 dimensions and infers -1")
    func reshape() throws {
        let y = try runSingle("Reshape", floats((0..<24).map(Float.init), [2, 3, 4]), ints([0, -1]))
        #expect(y.shape == [2, 12])
        #expect(y.floats == (0..<24).map(Float.init))
        #expect(try runSingle("Reshape", x, ints([-1])).shape == [6])
        // 0 copies the input's dimension 1 (3), so [3, 0] asks for 9 values.
        #expect(throws: OperatorError.self) { try runSingle("Reshape", x, ints([3, 0])) }
    }

    @Test("Reshape with allowzero keeps a literal 0")
    func reshapeAllowZero() throws {
        let empty = floats([], [0, 3])
        let y = try runSingle("Reshape", opset: 14, attributes: [Attr.int("allowzero", 1)], empty, ints([3, 0]))
        #expect(y.shape == [3, 0])
        #expect(throws: OperatorError.self) {
            try runSingle("Reshape", opset: 14, attributes: [Attr.int("allowzero", 1)], x, ints([0, 6]))
        }
    }

    @Test("Reshape rejects a size mismatch and two -1s")
    func reshapeErrors() {
        #expect(throws: OperatorError.self) { try runSingle("Reshape", x, ints([4, -1])) }
        #expect(throws: OperatorError.self) { try runSingle("Reshape", x, ints([-1, -1])) }
        #expect(throws: OperatorError.self) { try runSingle("Reshape", x, ints([5])) }
    }

    @Test("Flatten at axis 0, 1 and -1")
    func flatten() throws {
        let t = floats((0..<24).map(Float.init), [2, 3, 4])
        #expect(try runSingle("Flatten", t).shape == [2, 12])
        #expect(try runSingle("Flatten", attributes: [Attr.int("axis", 0)], t).shape == [1, 24])
        #expect(try runSingle("Flatten", attributes: [Attr.int("axis", -1)], t).shape == [6, 4])
        #expect(try runSingle("Flatten", attributes: [Attr.int("axis", 3)], t).shape == [24, 1])
    }

    @Test("Squeeze with axes as attribute (opset 11) and as input (opset 13)")
    func squeeze() throws {
        let t = floats([1, 2, 3], [1, 3, 1])
        #expect(try runSingle("Squeeze", opset: 11, attributes: [Attr.ints("axes", [0])], t).shape == [3, 1])
        #expect(try runSingle("Squeeze", opset: 13, t, ints([-1])).shape == [1, 3])
        #expect(try runSingle("Squeeze", opset: 13, t).shape == [3])
        #expect(throws: OperatorError.self) { try runSingle("Squeeze", opset: 13, t, ints([1])) }
    }

    @Test("Unsqueeze with axes as attribute (opset 11) and as input (opset 13)")
    func unsqueeze() throws {
        let t = floats([1, 2, 3], [3])
        #expect(try runSingle("Unsqueeze", opset: 11, attributes: [Attr.ints("axes", [0, 2])], t).shape == [1, 3, 1])
        #expect(try runSingle("Unsqueeze", opset: 13, t, ints([-1])).shape == [3, 1])
        #expect(try runSingle("Unsqueeze", opset: 13, t, ints([1, 0])).shape == [1, 1, 3])
    }

    @Test("Concat along the last and first axes, floats and ints")
    func concat() throws {
        let y = try runSingle("Concat", attributes: [Attr.int("axis", -1)], x, floats([10, 20], [2, 1]))
        #expect(y.shape == [2, 4])
        #expect(y.floats == [0, 1, 2, 10, 3, 4, 5, 20])
        let z = try runSingle("Concat", attributes: [Attr.int("axis", 0)], ints([-1]), ints([2, 4]), ints([], [0]))
        #expect(z.ints == [-1, 2, 4])
        #expect(throws: OperatorError.self) {
            try runSingle("Concat", attributes: [Attr.int("axis", 0)], x, floats([1, 2], [1, 2]))
        }
    }

    @Test("Transpose by default reverses axes; perm permutes them")
    func transpose() throws {
        let y = try runSingle("Transpose", x)
        #expect(y.shape == [3, 2])
        #expect(y.floats == [0, 3, 1, 4, 2, 5])
        let t = floats((0..<24).map(Float.init), [2, 3, 4])
        let z = try runSingle("Transpose", attributes: [Attr.ints("perm", [1, 2, 0])], t)
        #expect(z.shape == [3, 4, 2])
        // z[i][j][k] = t[k][i][j]
        #expect(z.floats[0..<4] == [0, 12, 1, 13])
        #expect(z.floats[(1 * 8 + 2 * 2)...].first == t.floats[0 * 12 + 1 * 4 + 2])
    }

    @Test("Shape, with start and end from opset 15, and Size")
    func shapeAndSize() throws {
        let t = floats([Float](repeating: 0, count: 24), [2, 3, 4])
        #expect(try runSingle("Shape", t).ints == [2, 3, 4])
        #expect(try runSingle("Shape", opset: 15, attributes: [Attr.int("start", 1)], t).ints == [3, 4])
        #expect(try runSingle("Shape", opset: 15, attributes: [Attr.int("end", -1)], t).ints == [2, 3])
        #expect(try runSingle("Size", t).ints == [24])
    }

    @Test("Gather picks rows, columns and scalars, with negative indices")
    func gather() throws {
        let rows = try runSingle("Gather", x, ints([1, 0]))
        #expect(rows.shape == [2, 3])
        #expect(rows.floats == [3, 4, 5, 0, 1, 2])
        let columns = try runSingle("Gather", attributes: [Attr.int("axis", 1)], x, ints([-1]))
        #expect(columns.shape == [2, 1])
        #expect(columns.floats == [2, 5])
        let scalar = try runSingle("Gather", ints([7, 8, 9]), ints([1], []))
        #expect(scalar.shape == [])
        #expect(scalar.ints == [8])
        #expect(throws: OperatorError.self) { try runSingle("Gather", x, ints([2])) }
    }

    @Test("Slice with inputs: steps, negative bounds and clamping")
    func slice() throws {
        let data = floats([1, 2, 3, 4, 5, 6, 7, 8], [2, 4])
        let example1 = try runSingle("Slice", data, ints([1, 0]), ints([2, 3]), ints([0, 1]), ints([1, 2]))
        #expect(example1.shape == [1, 2])
        #expect(example1.floats == [5, 7])
        let example2 = try runSingle("Slice", data, ints([0, 1]), ints([-1, 1000]))
        #expect(example2.floats == [2, 3, 4])
        let reversed = try runSingle("Slice", data, ints([-1]), ints([Int64.min]), ints([1]), ints([-1]))
        #expect(reversed.floats == [4, 3, 2, 1, 8, 7, 6, 5])
        let tail = try runSingle("Slice", ints([2, 3, 4]), ints([1]), ints([Int64.max]))
        #expect(tail.ints == [3, 4])
    }

    @Test("Slice with attributes before opset 10")
    func sliceAttributes() throws {
        let data = floats([1, 2, 3, 4, 5, 6, 7, 8], [2, 4])
        let y = try runSingle(
            "Slice", opset: 9, attributes: [Attr.ints("starts", [1]), Attr.ints("ends", [3]), Attr.ints("axes", [1])], data)
        #expect(y.floats == [2, 3, 6, 7])
    }

    @Test("Expand broadcasts to a larger shape")
    func expand() throws {
        let y = try runSingle("Expand", floats([1, 2], [2, 1]), ints([2, 3]))
        #expect(y.floats == [1, 1, 1, 2, 2, 2])
        let z = try runSingle("Expand", floats([1, 2, 3], [3]), ints([2, 1]))
        #expect(z.shape == [2, 3])
        #expect(z.floats == [1, 2, 3, 1, 2, 3])
    }

    @Test("Cast between float, int64, int32, bool and float16")
    func cast() throws {
        let values = floats([-1.7, 0, 2.9, 300], [4])
        let toInt = try runSingle("Cast", attributes: [Attr.int("to", 7)], values)
        #expect(toInt.elementType == .int64)
        #expect(toInt.ints == [-1, 0, 2, 300])
        let toUInt8 = try runSingle("Cast", attributes: [Attr.int("to", 2)], values)
        #expect(toUInt8.ints == [255, 0, 2, 44])
        let toBool = try runSingle("Cast", attributes: [Attr.int("to", 9)], values)
        #expect(toBool.ints == [1, 0, 1, 1])
        let back = try runSingle("Cast", attributes: [Attr.int("to", 1)], ints([3, -2]))
        #expect(back.elementType == .float)
        #expect(back.floats == [3, -2])
        let half = try runSingle("Cast", attributes: [Attr.int("to", 10)], floats([0.1], [1]))
        #expect(half.floats == [0.099975586])
        let nan = try runSingle("Cast", attributes: [Attr.int("to", 7)], floats([.nan, .infinity], [2]))
        #expect(nan.ints == [0, Int64.max])
        #expect(throws: OperatorError.self) { try runSingle("Cast", attributes: [Attr.int("to", 8)], values) }
    }

    @Test("Constant from value, value_float(s) and value_int(s)")
    func constant() throws {
        let tensor = try runSingle("Constant", attributes: [Attr.tensor("value", TestGraph.floatTensor("", [1, 2], shape: [2, 1]))])
        #expect(tensor.shape == [2, 1])
        #expect(tensor.floats == [1, 2])
        #expect(try runSingle("Constant", attributes: [Attr.float("value_float", 2.5)]).floats == [2.5])
        #expect(try runSingle("Constant", attributes: [Attr.floats("value_floats", [1, 2])]).shape == [2])
        #expect(try runSingle("Constant", attributes: [Attr.int("value_int", 7)]).ints == [7])
        #expect(try runSingle("Constant", attributes: [Attr.ints("value_ints", [-1, 4])]).ints == [-1, 4])
        #expect(throws: OperatorError.self) { try runSingle("Constant") }
    }

    @Test("ConstantOfShape and Range")
    func constantOfShapeAndRange() throws {
        let zeros = try runSingle("ConstantOfShape", ints([2, 2]))
        #expect(zeros.floats == [0, 0, 0, 0])
        let ones = try runSingle("ConstantOfShape", attributes: [Attr.tensor("value", TestGraph.intTensor("", [1], shape: [1]))], ints([3]))
        #expect(ones.ints == [1, 1, 1])
        #expect(try runSingle("Range", ints([1], []), ints([7], []), ints([2], [])).ints == [1, 3, 5])
        #expect(try runSingle("Range", floats([1], []), floats([0], []), floats([-0.25], [])).floats == [1, 0.75, 0.5, 0.25])
    }
}
