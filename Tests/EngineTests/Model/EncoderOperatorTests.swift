import Foundation
import Testing

@testable import Engine

/// The ONNX-ML encoders and column operators, and TreeEnsemble (ml opset 5), on cases the
/// converter fixtures (PipelineConformanceTests, TreeConformanceTests) do not reach.
@Suite("ONNX-ML encoders, Cast with strings, TreeEnsemble attributes")
struct EncoderOperatorTests {
    let ml = "ai.onnx.ml"

    @Test("OneHotEncoder: a last axis of categories; an unknown value is zeros, or an error with zeros=0")
    func oneHot() throws {
        let categories = Attr.strings("cats_strings", ["a", "b", "c"])
        let y = try runSingle("OneHotEncoder", domain: ml, opset: 1, attributes: [categories], strings(["b", "zzz", "a", ""], [4, 1]))
        #expect(y.shape == [4, 1, 3])
        #expect(y.floats == [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0])
        // Float values are cut to integers, as onnxruntime does.
        let ints = try runSingle(
            "OneHotEncoder", domain: ml, opset: 1, attributes: [Attr.ints("cats_int64s", [3, 7])], floats([7.9, 3, 5], [3]))
        #expect(ints.shape == [3, 2] && ints.floats == [0, 1, 1, 0, 0, 0])
        #expect(throws: OperatorError.self) {
            _ = try runSingle("OneHotEncoder", domain: ml, opset: 1, attributes: [categories, Attr.int("zeros", 0)], strings(["zzz"]))
        }
    }

    @Test("LabelEncoder: opset 1's classes both ways, opset 2's key/value lists, opset 4's tensors; defaults for the rest")
    func labelEncoder() throws {
        let classes = Attr.strings("classes_strings", ["x", "y"])
        let forward = try runSingle("LabelEncoder", domain: ml, opset: 1, attributes: [classes], strings(["y", "q", "x"]))
        #expect(forward.ints == [1, -1, 0])
        let back = try runSingle(
            "LabelEncoder", domain: ml, opset: 1, attributes: [classes, Attr.string("default_string", "?")], ints([0, 5, 1]))
        #expect(back.strings == ["x", "?", "y"])
        let numbers = try runSingle(
            "LabelEncoder", domain: ml, opset: 2,
            attributes: [
                Attr.floats("keys_floats", [.nan, 0, 2.5]), Attr.strings("values_strings", ["missing", "zero", "two and a half"]),
            ],
            floats([-0.0, .nan, 2.5, 1], [4]))
        #expect(numbers.strings == ["zero", "missing", "two and a half", "_Unused"])
        let tensors = try runSingle(
            "LabelEncoder", domain: ml, opset: 4,
            attributes: [
                Attr.tensor("keys_tensor", TestGraph.intTensor("keys", [10, 20], shape: [2])),
                Attr.tensor("values_tensor", TestGraph.floatTensor("values", [1.5, 2.5], shape: [2])),
                Attr.tensor("default_tensor", TestGraph.floatTensor("default", [-9], shape: [1])),
            ], ints([20, 30, 10]))
        #expect(tensors.floats == [2.5, -9, 1.5])
        #expect(throws: OperatorError.self) {
            _ = try runSingle(
                "LabelEncoder", domain: ml, opset: 2,
                attributes: [Attr.strings("keys_strings", ["a", "b"]), Attr.ints("values_int64s", [1])], strings(["a"]))
        }
    }

    @Test("CategoryMapper maps strings to integers and integers back, with defaults")
    func categoryMapper() throws {
        let attributes = [
            Attr.strings("cats_strings", ["cat", "dog"]), Attr.ints("cats_int64s", [1, 2]), Attr.int("default_int64", 99),
            Attr.string("default_string", "none"),
        ]
        #expect(try runSingle("CategoryMapper", domain: ml, opset: 1, attributes: attributes, strings(["dog", "cow"])).ints == [2, 99])
        #expect(try runSingle("CategoryMapper", domain: ml, opset: 1, attributes: attributes, ints([1, 3])).strings == ["cat", "none"])
    }

    @Test("ArrayFeatureExtractor picks last-axis entries, strings included; FeatureVectorizer pads and cuts")
    func columns() throws {
        let picked = try runOperator(
            "ArrayFeatureExtractor", domain: ml, opset: 1, inputs: [strings(["a", "b", "c", "d", "e", "f"], [2, 3]), ints([2, 0])])[0]
        #expect(picked.shape == [2, 2] && picked.strings == ["c", "a", "f", "d"])
        #expect(throws: OperatorError.self) {
            _ = try runOperator("ArrayFeatureExtractor", domain: ml, opset: 1, inputs: [floats([1, 2], [1, 2]), ints([2])])
        }
        let joined = try runOperator(
            "FeatureVectorizer", domain: ml, opset: 1, [Attr.ints("inputdimensions", [3, 1])],
            inputs: [floats([1, 2, 3, 4], [2, 2]), ints([7, 8, 9, 10], [2, 2])])[0]
        #expect(joined.shape == [2, 4] && joined.floats == [1, 2, 0, 7, 3, 4, 0, 9])
        #expect(
            try runSingle("Binarizer", domain: ml, opset: 1, attributes: [Attr.float("threshold", 1)], floats([0, 1, 2], [3])).floats == [
                0, 0, 1,
            ])
    }

    @Test("Cast between strings and numbers")
    func castStrings() throws {
        let toString = Attr.int("to", Int(Onnx_TensorProto.DataType.string.rawValue))
        #expect(try runSingle("Cast", attributes: [toString], ints([-3, 42])).strings == ["-3", "42"])
        let toFloat = Attr.int("to", Int(Onnx_TensorProto.DataType.float.rawValue))
        let parsed = try runSingle("Cast", attributes: [toFloat], strings([" 2.5 ", "x", "-1e3"]))
        #expect(parsed.floats[0] == 2.5 && parsed.floats[1].isNaN && parsed.floats[2] == -1000)
        let toInt = Attr.int("to", Int(Onnx_TensorProto.DataType.int64.rawValue))
        #expect(try runSingle("Cast", attributes: [toInt], strings(["9007199254740993", "-4"])).ints == [9_007_199_254_740_993, -4])
        #expect(throws: OperatorError.self) { _ = try runSingle("Cast", attributes: [toString], floats([1.5], [1])) }
    }

    /// One tree: `x[0] <= 1` → leaf 0 (weight 2 for target 0), else `x[1] ∈ {3, 5}` → leaf 1
    /// (weight −1 for target 1), else leaf 2 (weight 0.5 for target 0).
    func smallEnsemble(_ extra: [Onnx_AttributeProto]) -> [Onnx_AttributeProto] {
        [
            Attr.ints("nodes_featureids", [0, 1]), Attr.ints("nodes_truenodeids", [0, 1]), Attr.ints("nodes_trueleafs", [1, 1]),
            Attr.ints("nodes_falsenodeids", [1, 2]), Attr.ints("nodes_falseleafs", [0, 1]),
            Attr.tensor("nodes_modes", TestGraph.intTensor("modes", [0, 6], shape: [2])),
            Attr.tensor("nodes_splits", TestGraph.floatTensor("splits", [1, 0], shape: [2])),
            Attr.tensor("membership_values", TestGraph.floatTensor("members", [3, 5, .nan], shape: [3])),
            Attr.ints("tree_roots", [0]), Attr.ints("leaf_targetids", [0, 1, 0]),
            Attr.tensor("leaf_weights", TestGraph.floatTensor("weights", [2, -1, 0.5], shape: [3])), Attr.int("n_targets", 2),
        ] + extra
    }

    @Test("TreeEnsemble (ml opset 5): children as node or leaf indices, set membership, transforms numbered as the spec does")
    func treeEnsembleOpset5() throws {
        let rows = floats([0, 3, 2, 5, 2, 4, 2, .nan], [4, 2])
        let raw = try runSingle("TreeEnsemble", domain: ml, opset: 5, attributes: smallEnsemble([]), rows)
        #expect(raw.shape == [4, 2] && raw.floats == [2, 0, 0, -1, 0.5, 0, 0.5, 0])
        // post_transform 2 is LOGISTIC in the specification (onnxruntime 1.32 runs it as SOFTMAX).
        let logistic = try runSingle("TreeEnsemble", domain: ml, opset: 5, attributes: smallEnsemble([Attr.int("post_transform", 2)]), rows)
        #expect(close(logistic.floats, [2, 0, 0, -1, 0.5, 0, 0.5, 0].map { 1 / (1 + exp(-$0)) }))
        #expect(throws: OperatorError.self) {
            _ = try runSingle("TreeEnsemble", domain: ml, opset: 5, attributes: smallEnsemble([Attr.int("aggregate_function", 7)]), rows)
        }
        // A child index past the leaves is refused at load, naming the node.
        var broken = smallEnsemble([])
        broken[1] = Attr.ints("nodes_truenodeids", [9, 1])
        #expect {
            _ = try runSingle("TreeEnsemble", domain: ml, opset: 5, attributes: broken, rows)
        } throws: { error in
            (error as? OperatorError)?.detail.contains("node 0's true child 9 is not a leaf") == true
        }
    }
}
