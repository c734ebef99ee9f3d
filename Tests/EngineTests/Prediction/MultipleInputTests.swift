import Foundation
import Testing

@testable import Engine

/// Models with several inputs (a scikit-learn ColumnTransformer's), bound to columns by name and
/// each column read as its input's type: float, int64 or string.
@Suite("Several inputs: float, int64 and string columns bound by name")
struct MultipleInputTests {
    /// `sigmoid(0.01·age + 0.5·code(note) + 0.1·num_returns)`, where `code` maps `plain 1` → 1,
    /// `plain 2` → 2 and anything else → −1 (CategoryMapper); inputs `age` float, `note` string,
    /// `num_returns` int64, each `[batch, 1]`.
    static func model() -> TestGraph {
        var graph = TestGraph(features: 1, outputWidth: 1)
        graph.extraOpsets = [("ai.onnx.ml", 2)]
        graph.inputs = [
            TestGraph.value("age", elementType: .float, dims: [.symbolic("batch"), .fixed(1)]),
            TestGraph.value("note", elementType: .string, dims: [.symbolic("batch"), .fixed(1)]),
            TestGraph.value("num_returns", elementType: .int64, dims: [.symbolic("batch"), .fixed(1)]),
        ]
        graph.node(
            "CategoryMapper", ["note"], ["code"], domain: "ai.onnx.ml",
            [Attr.strings("cats_strings", ["plain 1", "plain 2"]), Attr.ints("cats_int64s", [1, 2]), Attr.int("default_int64", -1)])
        graph.node("Cast", ["code"], ["code_f"], [Attr.int("to", 1)])
        graph.node("Cast", ["num_returns"], ["returns_f"], [Attr.int("to", 1)])
        graph.node("Concat", ["age", "code_f", "returns_f"], ["features"], [Attr.int("axis", 1)])
        graph.initializer("weights", [0.01, 0.5, 0.1], shape: [3, 1])
        graph.node("MatMul", ["features", "weights"], ["z"])
        graph.node("Sigmoid", ["z"], ["y"])
        return graph
    }

    static func expected(age: Double, note: String, returns: Double) -> Double {
        let code: Double = note == "plain 1" ? 1 : note == "plain 2" ? 2 : -1
        return 1 / (1 + exp(-(0.01 * age + 0.5 * code + 0.1 * returns)))
    }

    /// The `prediction_score` of each predicted row, by id.
    static func scores(_ text: String) -> [String: Double] {
        let lines = text.split(separator: "\n")
        let header = lines[0].split(separator: ",")
        let score = header.firstIndex(of: "prediction_score")!
        return Dictionary(
            uniqueKeysWithValues: lines.dropFirst().map { line in
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                return (String(fields[0]), Double(String(fields[score]))!)
            })
    }

    @Test("The model's inputs: names, types, widths, and which take a missing value")
    func inputs() throws {
        let model = try Self.model().load()
        #expect(model.inputs.map(\.name) == ["age", "note", "num_returns"])
        #expect(model.inputs.map(\.valueType) == [.float, .string, .int64])
        #expect(model.inputs.map(\.acceptsMissingValues) == [false, true, false])
        #expect(model.featureCount == 3)
        // Strings cannot come through the float-only call.
        #expect(throws: ModelError.self) {
            _ = try [Float](repeating: 0, count: 3).withUnsafeBufferPointer { try model.predict($0, rows: 1) }
        }
    }

    @Test("A float input reaching an Imputer through Concat takes missing values; one also read by a Mul does not")
    func missingValuesFollowTheGraph() throws {
        var graph = TestGraph(features: 1, outputWidth: 1)
        graph.extraOpsets = [("ai.onnx.ml", 1)]
        graph.inputs = [
            TestGraph.value("a", elementType: .float, dims: [.symbolic("batch"), .fixed(1)]),
            TestGraph.value("b", elementType: .float, dims: [.symbolic("batch"), .fixed(1)]),
        ]
        graph.node("Concat", ["a", "b"], ["ab"], [Attr.int("axis", 1)])
        graph.node("Imputer", ["ab"], ["filled"], domain: "ai.onnx.ml", [Attr.floats("imputed_value_floats", [1, 2])])
        graph.initializer("weights", [1, 1], shape: [2, 1])
        graph.node("MatMul", ["filled", "weights"], ["y"])
        let imputed = try graph.load()
        #expect(imputed.inputs.map(\.acceptsMissingValues) == [true, true])
        #expect(imputed.acceptsMissingValues)
        let nan = [Float.nan, 5]
        #expect(try nan.withUnsafeBufferPointer { try imputed.predict($0, rows: 1) } == [6])

        graph.nodes.removeLast()
        graph.node("MatMul", ["filled", "weights"], ["s"])
        graph.node("Mul", ["s", "b"], ["y"])
        let partly = try graph.load()
        #expect(partly.inputs.map(\.acceptsMissingValues) == [true, false])
        #expect(!partly.acceptsMissingValues)
    }

    @Test("CSV columns in any order bind by name; each is parsed as its input's type, with file:line:column for what is not")
    func csvBinding() throws {
        let folder = try TemporaryFolder()
        let modelPath = try Self.model().write(to: folder)
        let input = folder.file(
            "in.csv",
            """
            user_id,num_returns,note,age,extra
            1,3,plain 1,40,x
            2,0,"other, text",20,y
            3,2,,30,z
            4,2.5,plain 2,30,a
            5,,plain 2,30,b
            6,1,plain 2,,c
            7,1e1,plain 2,10,d
            8,-4, plain 2 ,55.5,e

            """)
        let predictor = try BatchPredictor(modelPath: modelPath, options: testOptions { $0.policy = .lenient(maxRejectedFraction: 1) })
        #expect(try predictor.boundColumnNames() == ["age", "note", "num_returns"])
        let report = try predictor.predictCSV(input: input, output: folder.path + "/out.csv")
        #expect(report.rowsPredicted == 5 && report.rowsRejected == 3)
        let scores = Self.scores(folder.read("out.csv")!)
        let cases: [(String, Double, String, Double)] = [
            ("1", 40, "plain 1", 3), ("2", 20, "other, text", 0), ("3", 30, "", 2), ("7", 10, "plain 2", 10),
            ("8", 55.5, " plain 2 ", -4),
        ]
        for (id, age, note, returns) in cases {
            let score = try #require(scores[id], "row \(id) was not predicted")
            #expect(abs(score - Self.expected(age: age, note: note, returns: returns)) < 1e-6, "row \(id)")
        }
        let issues = report.rejectedSample.map { "\($0.line):\($0.column ?? 0):\($0.rule)" }
        #expect(issues == ["5:2:not-a-number", "6:2:empty-value", "7:4:empty-value"])
        #expect(report.rejectedSample[0].message.contains("is not a whole number"))

        // features: names the columns of a one-input model; with several inputs it is an error.
        let named = try BatchPredictor(modelPath: modelPath, options: testOptions { $0.features = ["age", "note", "num_returns"] })
        #expect {
            try named.predictCSV(input: input, output: folder.path + "/named.csv")
        } throws: { error in
            let issue = (error as? PredictionError)?.issue
            return issue?.rule == .featureMismatch && issue?.message.contains("drop --features") == true
        }
    }

    @Test("An input of several columns needs feature_columns to name them")
    func wideInputs() throws {
        var graph = TestGraph(features: 1, outputWidth: 1)
        graph.inputs = [
            TestGraph.value("numbers", elementType: .float, dims: [.symbolic("batch"), .fixed(2)]),
            TestGraph.value("count", elementType: .int64, dims: [.symbolic("batch"), .fixed(1)]),
        ]
        graph.node("Cast", ["count"], ["count_f"], [Attr.int("to", 1)])
        graph.node("Concat", ["numbers", "count_f"], ["all"], [Attr.int("axis", 1)])
        graph.initializer("weights", [1, 10, 100], shape: [3, 1])
        graph.node("MatMul", ["all", "weights"], ["y"])
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", "user_id,c,a,b\n1,3,1,2\n")
        let unnamed = try BatchPredictor(
            modelPath: try graph.write(to: folder, name: "unnamed.onnx"), options: testOptions { $0.outputKind = .regression })
        #expect {
            try unnamed.predictCSV(input: input, output: folder.path + "/out.csv")
        } throws: { error in
            "\(error)".contains("input 'numbers' takes 2 columns") && "\(error)".contains("feature_columns")
        }
        graph.metadata["feature_columns"] = "a,b,c"
        let named = try BatchPredictor(
            modelPath: try graph.write(to: folder, name: "named.onnx"), options: testOptions { $0.outputKind = .regression })
        try named.predictCSV(input: input, output: folder.path + "/out.csv")
        #expect(folder.read("out.csv")!.split(separator: "\n")[1].hasPrefix("1,321"))
    }

    @Test("Parquet: a text column feeds a string input, an integer column an int64 input")
    func parquet() throws {
        let folder = try TemporaryFolder()
        let predictor = try BatchPredictor(modelPath: try Self.model().write(to: folder), options: testOptions())
        let parquet = ParquetInputTests.folder
        let report = try predictor.predictCSV(input: "\(parquet)/strings.parquet", output: folder.path + "/out.csv")
        #expect(report.rowsPredicted == 300)
        let scores = Self.scores(folder.read("out.csv")!)
        // strings.parquet holds sample.csv's first 300 rows, ids as "u1", … and a note per row
        // (make_parquet_inputs.py): `row i, "quoted"` for every third row, else `plain i`.
        let sample = folder.read("\(parquet)/sample.csv")!.split(separator: "\n")
        let header = sample[0].split(separator: ",")
        let (ageColumn, returnsColumn) = (header.firstIndex(of: "age")!, header.firstIndex(of: "num_returns")!)
        for i in 0..<300 {
            let fields = sample[i + 1].split(separator: ",")
            let note = i % 3 == 0 ? "row \(i), \"quoted\"" : "plain \(i)"
            let expected = Self.expected(age: Double(fields[ageColumn])!, note: note, returns: Double(fields[returnsColumn])!)
            let score = try #require(scores["u\(fields[0])"])
            #expect(abs(score - expected) < 1e-6, "row \(i + 1)")
        }
    }
}
