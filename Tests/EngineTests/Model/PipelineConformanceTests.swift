import Foundation
import Testing

@testable import Engine

/// One entry of `Fixtures/pipelines/pipelines.json` (written by `Fixtures/make_pipeline_models.py`):
/// a scikit-learn pipeline with several inputs, string and int64 columns among them.
struct PipelineFixture: Decodable, Sendable, CustomTestStringConvertible {
    struct Input: Decodable, Sendable {
        let name: String
        let type: String
        let width: Int
    }

    struct Column: Decodable, Sendable {
        let name: String
        let type: String
    }

    let name: String
    let file: String
    /// `two_class`, or `raw` for the hand-built graphs (only their values are compared).
    let kind: String
    let labels: [String]
    let inputs: [Input]
    /// The CSV columns the model reads, input after input.
    let columns: [Column]
    let categories: [String: [String]]
    /// Columns where an empty field is allowed: string columns, and numeric ones the graph imputes.
    let handlesMissing: [String]
    let scoreOutput: String

    enum CodingKeys: String, CodingKey {
        case name, file, kind, labels, inputs, columns, categories
        case handlesMissing = "handles_missing"
        case scoreOutput = "score_output"
    }

    private struct Manifest: Decodable {
        let fixtures: [PipelineFixture]
    }

    var testDescription: String { name }

    static let folder: String = URL(fileURLWithPath: ConformanceFixture.modelsFolder).deletingLastPathComponent()
        .appendingPathComponent("pipelines").path

    static func loadManifest() throws -> [PipelineFixture] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/pipelines.json"))
        return try JSONDecoder().decode(Manifest.self, from: data).fixtures
    }

    static let all: [PipelineFixture] = (try? loadManifest()) ?? []

    var path: String { PipelineFixture.folder + "/" + file }
}

/// Rows for a pipeline fixture, as CSV text and as the typed values the model takes.
struct PipelineRows {
    /// The CSV: `user_id`, then the fixture's columns in reverse (binding is by name), then a
    /// quoted column the model does not read.
    var csv = ""
    var floats: [Float] = []
    var ints: [Int64] = []
    var strings: [String] = []

    /// `count` rows: numbers from the sample data's ranges (`store_id` from 1 to 25, some never
    /// seen in training), with, in turn, a missing value where the column takes one, an unseen
    /// or oddly written category (`zzz`, `Retail`, ` web`, `re,tail`, `say "hi"`) and a split
    /// threshold of the model's trees written into a numeric column.
    init(_ fixture: PipelineFixture, count: Int, thresholds: [Float]) throws {
        var generator = SampleColumns.Generator(state: fixture.name.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) })
        let width = fixture.columns.count
        floats = [Float](repeating: 0, count: count * width)
        ints = [Int64](repeating: 0, count: count * width)
        strings = [String](repeating: "", count: count * width)
        let numericNames = fixture.columns.filter { $0.type == "float" }.map(\.name)
        let sampled = try SampleColumns.rows(count, columns: numericNames, seed: generator.next())
        let oddities = ["zzz", "Retail", " web", "re,tail", "say \"hi\"", ""]
        let order = Array(fixture.columns.indices.reversed())
        csv = "user_id," + order.map { fixture.columns[$0].name }.joined(separator: ",") + ",note\n"
        for row in 0..<count {
            var cells = [String](repeating: "", count: width)
            var numeric = 0
            for (c, column) in fixture.columns.enumerated() {
                let at = row * width + c
                let missing = fixture.handlesMissing.contains(column.name) && (row + c) % 9 == 4
                switch column.type {
                case "string":
                    let known = fixture.categories[column.name] ?? ["a"]
                    let value =
                        missing
                        ? ""
                        : (row + c) % 7 == 3 ? oddities[(row / 7) % oddities.count] : known[Int(generator.next() % UInt64(known.count))]
                    strings[at] = value
                    cells[c] = "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                case "int64":
                    let value = Int64(1 + generator.next() % 25)
                    ints[at] = value
                    cells[c] = String(value)
                default:
                    var value = sampled[row * numericNames.count + numeric]
                    numeric += 1
                    if missing {
                        value = .nan
                        cells[c] = ""
                    } else {
                        if row % 5 == 2, !thresholds.isEmpty { value = thresholds[(row &* 7919 &+ c) % thresholds.count] }
                        cells[c] = "\(value)"
                    }
                    floats[at] = value
                }
            }
            csv += "\(row + 1)," + order.map { cells[$0] }.joined(separator: ",") + ",\"row \(row), unused\"\n"
        }
    }
}

@Suite("scikit-learn pipelines with string and int64 columns (ONNX-ML) against onnxruntime")
struct PipelineConformanceTests {
    static let rowCount = 10_000

    @Test("The pipeline manifest lists the ColumnTransformer pipelines and the encoder graphs")
    func manifestIsPresent() throws {
        let names = Set(try PipelineFixture.loadManifest().map(\.name))
        for expected in [
            "ct_gb_classifier", "ct_logreg_grouped", "ordinal_rf", "hand_category_mapper", "hand_label_encoder",
            "hand_binarizer_afe", "hand_onehot_int",
        ] {
            #expect(names.contains(expected), "pipelines.json has no \(expected)")
        }
    }

    /// Runs `Fixtures/ort_csv_oracle.py` on a CSV file: per row the label (or "") and the values.
    static func oracle(model: String, csv: String, folder: TemporaryFolder) throws -> [(label: String, values: [Float])] {
        let input = folder.file("oracle-in.csv", csv)
        let output = folder.path + "/oracle-out.csv"
        let script = URL(fileURLWithPath: PipelineFixture.folder).deletingLastPathComponent().appendingPathComponent("ort_csv_oracle.py")
            .path
        let result = try Oracle.run(["python3", script, model, input, output])
        guard result.status == 0 else { throw ConformanceFailure("the CSV oracle failed on \(model): \(result.error)") }
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").dropFirst()
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return (String(fields[0]), fields.dropFirst().map { Float(String($0)) ?? .nan })
        }
    }

    @Test("Values, scores and labels match onnxruntime, columns bound by name", arguments: PipelineFixture.all)
    func matchesOracle(_ fixture: PipelineFixture) throws {
        try Oracle.requireAvailable()
        let model = try ONNXModel.load(path: fixture.path)
        #expect(model.inputs.map(\.name) == fixture.inputs.map(\.name))
        #expect(model.inputs.map(\.valueType.rawValue) == fixture.inputs.map(\.type))
        #expect(model.inputs.map(\.width) == fixture.inputs.map(\.width))
        #expect(model.outputName == fixture.scoreOutput)
        let rows = try PipelineRows(fixture, count: Self.rowCount, thresholds: TreeConformanceTests.splits(of: model).map(\.threshold))
        let folder = try TemporaryFolder()
        let reference = try Self.oracle(model: fixture.path, csv: rows.csv, folder: folder)
        try #require(reference.count == Self.rowCount)

        // The model on the typed values, every output value compared.
        let ours = try rows.floats.withUnsafeBufferPointer { floats in
            try rows.ints.withUnsafeBufferPointer { ints in
                try rows.strings.withUnsafeBufferPointer { strings in
                    try model.predict(floats: floats, ints: ints, strings: strings, rows: Self.rowCount)
                }
            }
        }
        let width = model.outputWidth
        var worst = (difference: Float(0), row: -1)
        for row in 0..<Self.rowCount {
            try #require(
                reference[row].values.count == width, "\(fixture.name): onnxruntime gives \(reference[row].values.count) values per row")
            for k in 0..<width {
                let difference = abs(ours[row * width + k] - reference[row].values[k])
                if !(difference <= 1e-5), worst.row < 0 || difference > worst.difference { worst = (difference, row) }
            }
        }
        if worst.row >= 0 {
            Issue.record(
                "\(fixture.name): row \(worst.row) differs from onnxruntime by \(worst.difference): ours \(ours[(worst.row * width)..<((worst.row + 1) * width)]), onnxruntime \(reference[worst.row].values)"
            )
        }

        // The whole run: a CSV whose columns are in another order, bound to the inputs by name.
        var options = PredictionOptions()
        options.threads = 2
        options.outputKind = fixture.kind == "raw" ? .probability : .auto
        let predictor = try BatchPredictor(model: model, options: options)
        let input = folder.file("in.csv", rows.csv)
        let report = try predictor.predictCSV(input: input, output: folder.path + "/out.csv")
        #expect(report.rowsPredicted == Self.rowCount && report.rowsRejected == 0)
        let written = try String(contentsOfFile: folder.path + "/out.csv", encoding: .utf8).split(separator: "\n")
        let header = written[0].split(separator: ",").map(String.init)
        // Two values: prediction_score, the second one; more (a raw graph): score_1.
        let scoreColumn = try #require(
            header.firstIndex(of: "score_1") ?? header.firstIndex(of: "prediction_score"), "\(fixture.name): header \(header)")
        let classColumn = header.firstIndex(of: "prediction_class")
        var mismatches: [String] = []
        for (row, line) in written.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            // prediction_score is the second value: the second label's probability.
            let score = Float(String(fields[scoreColumn])) ?? .nan
            let expected = reference[row].values[width > 1 ? 1 : 0]
            if !(abs(score - expected) <= 1e-5) { mismatches.append("row \(row + 1): score \(score), onnxruntime \(expected)") }
            if fixture.kind == "two_class", let classColumn, abs(expected - 0.5) >= 1e-6,
                String(fields[classColumn]) != reference[row].label
            {
                mismatches.append("row \(row + 1): class \(fields[classColumn]), onnxruntime \(reference[row].label)")
            }
        }
        let differing = mismatches.count
        #expect(differing == 0, "\(fixture.name): \(differing) rows differ; first: \(mismatches.prefix(3))")
        print("pipeline conformance \(fixture.name): \(Self.rowCount) rows match onnxruntime")
    }
}
