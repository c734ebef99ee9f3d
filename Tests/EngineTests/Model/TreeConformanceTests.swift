import Foundation
import Testing

@testable import Engine

/// One entry of `Fixtures/trees/fixtures.json` or `linear.json` (written by
/// `Fixtures/make_tree_models.py` and `make_linear_models.py`).
struct TreeFixture: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let file: String
    let inputName: String
    let features: Int
    let scoreOutput: String
    let outputWidth: Int
    let kind: String
    let labels: [String]
    let columns: [String]
    let zipmap: Bool

    enum CodingKeys: String, CodingKey {
        case name, file, features, kind, labels, columns, zipmap
        case inputName = "input_name"
        case scoreOutput = "score_output"
        case outputWidth = "output_width"
    }

    private struct Manifest: Decodable {
        let fixtures: [TreeFixture]
    }

    var testDescription: String { name }

    static let folder: String = URL(fileURLWithPath: ConformanceFixture.modelsFolder).deletingLastPathComponent()
        .appendingPathComponent("trees").path

    /// The tree fixtures (`fixtures.json`, make_tree_models.py), the linear ones (`linear.json`,
    /// make_linear_models.py) and ml opset 5's TreeEnsemble (`ensemble_v5.json`,
    /// make_tree_ensemble_v5.py).
    static func loadManifest() throws -> [TreeFixture] {
        try ["fixtures.json", "linear.json", "ensemble_v5.json"].flatMap { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            return try JSONDecoder().decode(Manifest.self, from: data).fixtures
        }
    }

    static let all: [TreeFixture] = (try? loadManifest()) ?? []

    var path: String { TreeFixture.folder + "/" + file }
}

@Suite("Tree ensembles and linear models (ONNX-ML) against onnxruntime")
struct TreeConformanceTests {
    static let rowCount = 10_000

    @Test("The tree fixture manifest lists every family the converters write")
    func manifestIsPresent() throws {
        let names = Set(try TreeFixture.loadManifest().map(\.name))
        for expected in [
            "lgbm_binary", "lgbm_regressor", "lgbm_multiclass", "xgb_binary", "xgb_multiclass", "rf_regressor",
            "hgb_classifier", "gb_classifier", "catboost_binary", "lgbm_500", "hand_sum", "hand_average", "hand_min",
            "hand_max", "hand_classifier", "logreg_scaled", "logreg_multiclass", "linear_regression", "imputed_logreg",
            "v5_rf_regressor", "v5_lgbm_regressor", "v5_xgb_multiclass", "v5_hand_member", "v5_hand_average", "v5_hand_max",
        ] {
            #expect(names.contains(expected), "fixtures.json has no \(expected)")
        }
    }

    /// Every split of the model's trees: (feature, threshold), a set's last member for a
    /// BRANCH_MEMBER split.
    static func splits(of model: ONNXModel) -> [(feature: Int, threshold: Float)] {
        model.plan.steps.flatMap { step -> [(feature: Int, threshold: Float)] in
            let forest: TreeForest? =
                (step.kernel as? TreeEnsembleClassifierKernel)?.forest ?? (step.kernel as? TreeEnsembleRegressorKernel)?.forest
            guard let forest else { return [] }
            return forest.nodes.filter { !$0.isLeaf }.map { node in
                guard node.mode == .member else { return (Int(node.feature), node.threshold) }
                let start = Int(node.threshold.bitPattern)
                return (Int(node.feature), forest.memberValues[start + max(Int(forest.memberValues[start]), 1)])
            }
        }
    }

    /// The sample columns' values, with one row in five missing a value (NaN, for models that take
    /// missing values) and one in five holding a split's exact threshold (for trees), so both the
    /// missing-value tracks and ties are compared.
    static func rows(for fixture: TreeFixture, model: ONNXModel) throws -> [Float] {
        let seed = fixture.name.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }
        var values = try SampleColumns.rows(rowCount, columns: fixture.columns, seed: seed)
        let splits = splits(of: model)
        let width = fixture.columns.count
        for row in 0..<rowCount {
            switch row % 10 {
            case 3, 8:
                // Only a model that takes missing values is fed them (the others' rows are rejected).
                guard model.acceptsMissingValues else { break }
                values[row * width + (row / 10) % width] = .nan
            case 5, 7:
                guard !splits.isEmpty else { break }
                let split = splits[(row &* 7919) % splits.count]
                values[row * width + split.feature] = split.threshold
            default:
                break
            }
        }
        return values
    }

    @Test("Scores and labels match onnxruntime", arguments: TreeFixture.all)
    func matchesOracle(_ fixture: TreeFixture) throws {
        try Oracle.requireAvailable()
        let model = try ONNXModel.load(path: fixture.path)
        #expect(model.inputName == fixture.inputName)
        #expect(model.featureCount == fixture.features)
        #expect(model.outputName == fixture.scoreOutput)
        #expect(model.outputWidth == fixture.outputWidth)
        let isClassifier = fixture.kind == "two_class" || fixture.kind == "multiclass"
        // A TreeEnsemble (ml opset 5) classifier carries no labels: its graph picks them with standard ops.
        if isClassifier, model.outputProducer != "Softmax" {
            #expect(model.classLabels == fixture.labels)
        }
        // "raw": hand-built ensembles with several targets; only their values are compared.
        let schema = try OutputSchema.resolve(for: model, option: fixture.kind == "raw" ? .probability : .auto)
        switch (fixture.kind, schema.kind) {
        case ("raw", _): break
        case ("two_class", .twoClass(let labels)): #expect(labels == fixture.labels)
        case ("multiclass", .multiclass(let labels)): #expect(labels == fixture.labels)
        case ("regression", .regression): break
        default: Issue.record("\(fixture.name): a \(fixture.kind) fixture resolves to \(schema.kind)")
        }

        let input = try Self.rows(for: fixture, model: model)
        let ours = try input.withUnsafeBufferPointer { try model.predict($0, rows: Self.rowCount) }
        let folder = try TemporaryFolder()
        let reference = try Oracle.predict(
            model: fixture.path, input: input, rows: Self.rowCount, columns: fixture.columns.count, folder: folder,
            labels: isClassifier)
        try #require(
            reference.values.count == ours.count, "\(fixture.name): \(reference.values.count) reference values, \(ours.count) ours")

        // Probabilities within 1e-5; other values within 1e-5 or 1e-4 relative, whichever is larger.
        var worst = (excess: Float(0), index: -1)
        for index in ours.indices {
            let expected = reference.values[index]
            let tolerance = isClassifier ? 1e-5 : max(1e-5, 1e-4 * abs(expected))
            let difference = abs(ours[index] - expected)
            if !(difference <= tolerance), worst.index < 0 || difference / tolerance > worst.excess {
                worst = (difference / tolerance, index)
            }
        }
        if worst.index >= 0 {
            let row = worst.index / model.outputWidth
            let features = input[(row * fixture.features)..<((row + 1) * fixture.features)].map { String($0) }.joined(separator: ", ")
            Issue.record(
                "\(fixture.name): row \(row) differs from onnxruntime by \(worst.excess)× the tolerance (ours \(ours[worst.index]), onnxruntime \(reference.values[worst.index])); features [\(features)]"
            )
        }

        // Labels: the class inferwatcher writes, against onnxruntime's label output, except where
        // the score sits within 1e-6 of the 0.5 threshold.
        guard isClassifier else { return }
        try #require(reference.labels.count == Self.rowCount)
        let width = model.outputWidth
        var mismatches: [String] = []
        for row in 0..<Self.rowCount {
            let scores = Array(ours[(row * width)..<((row + 1) * width)])
            let prediction = Prediction(values: scores, schema: schema, threshold: 0.5)
            if width == 2, abs(scores[1] - 0.5) < 1e-6 { continue }
            if prediction.label != reference.labels[row] {
                mismatches.append("row \(row): ours \(prediction.label ?? "nil"), onnxruntime \(reference.labels[row]) (scores \(scores))")
            }
        }
        #expect(mismatches.isEmpty, "\(fixture.name): \(mismatches.count) labels differ; first: \(mismatches.prefix(3))")
        print("tree conformance \(fixture.name): \(Self.rowCount) rows, scores and labels match onnxruntime")
    }
}
