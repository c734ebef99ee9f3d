import Testing

@testable import Engine

/// Tree-ensemble models through the CSV path: their labels, missing values, the report.
@Suite("Tree models: labels, missing values and reports")
struct TreeModelPredictionTests {
    static func tree(_ name: String) -> String {
        TreeFixture.folder + "/\(name).onnx"
    }

    @Test("a classifier with string labels writes them as prediction_class, and report.txt names them")
    func stringLabels() throws {
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 400, seed: 8))
        let predictor = try BatchPredictor(
            modelPath: Self.tree("gb_classifier"), options: testOptions { $0.features = Fixtures.featureColumns })
        #expect(predictor.schema.kind == .twoClass(labels: ["churn", "stay"]))
        let report = try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        let rows = folder.read("out.csv")!.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 400)
        for fields in rows {
            let score = try #require(Double(fields[1]))
            #expect(fields[2] == (score >= 0.5 ? "stay" : "churn"))
        }
        let stay = rows.filter { $0[2] == "stay" }.count
        #expect(stay > 0 && stay < 400)
        #expect(report.statistics.positive == stay)
        #expect(report.text().contains("Positive (stay): "))
        #expect(report.text().contains("Negative (churn): "))
        // `inferwatcher report predictions.csv` finds the labels again from the file.
        let again = try PredictionsFileSummary.report(path: "\(folder.path)/out.csv")
        #expect(again.outputKind == .twoClass(labels: ["churn", "stay"]))
        #expect(again.statistics.positive == stay)
        #expect(again.text().contains("Positive (stay): "))
    }

    @Test("an empty feature reaches a tree model (or an imputer) as NaN and takes the missing-value branch; a network rejects it")
    func missingValues() throws {
        let folder = try TemporaryFolder()
        let header = "user_id," + Fixtures.featureColumns.joined(separator: ",")
        let text = "\(header)\n1,30,50000,600,10,100,55.50,1,0,2,3\n2,30,,600,10,100,55.50,1,0,2,3\n3,,,,,,,,,,\n"
        let input = folder.file("in.csv", text)
        let trees = try BatchPredictor(modelPath: Self.tree("lgbm_binary"), options: testOptions { $0.features = Fixtures.featureColumns })
        let report = try trees.predictCSV(input: input, output: "\(folder.path)/trees.csv")
        #expect(report.rowsPredicted == 3)
        #expect(report.rowsRejected == 0)
        // The same rows through the model directly, NaN where the field is empty.
        let model = try ONNXModel.load(path: Self.tree("lgbm_binary"))
        let values: [Float] =
            [30, 50000, 600, 10, 100, 55.5, 1, 0, 2, 3] + [30, .nan, 600, 10, 100, 55.5, 1, 0, 2, 3]
            + [Float](repeating: .nan, count: 10)
        let direct = try values.withUnsafeBufferPointer { try model.predict($0, rows: 3) }
        let written = folder.read("trees.csv")!.split(separator: "\n").dropFirst().map { Float($0.split(separator: ",")[1])! }
        for row in 0..<3 {
            #expect(abs(written[row] - direct[row * 2 + 1]) < 1e-6)
        }
        #expect(model.acceptsMissingValues)
        // An Imputer that replaces NaN in front of a linear model takes missing values too; the
        // same pipeline without it does not.
        #expect(try ONNXModel.load(path: Self.tree("imputed_logreg")).acceptsMissingValues)
        #expect(try ONNXModel.load(path: Self.tree("logreg_scaled")).acceptsMissingValues == false)

        let network = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.policy = .lenient(maxRejectedFraction: 1) })
        #expect(try ONNXModel.load(path: Fixtures.model("mlp_legacy")).acceptsMissingValues == false)
        let rejected = try network.predictCSV(input: input, output: "\(folder.path)/network.csv")
        #expect(rejected.rowsPredicted == 1)
        #expect(rejected.rowsRejected == 2)
        #expect(rejected.rejectedSample.first?.rule == .emptyValue)
    }

    @Test("a regressor writes prediction_value without being told; a multi-class model one score column per label")
    func kinds() throws {
        let regressor = try BatchPredictor(
            modelPath: Self.tree("lgbm_regressor"), options: testOptions { $0.features = Fixtures.featureColumns })
        #expect(regressor.schema.kind == .regression)
        let classes = try BatchPredictor(
            modelPath: Self.tree("hand_classifier"), options: testOptions { $0.features = Fixtures.featureColumns })
        #expect(
            classes.schema.predictionColumns == [
                "prediction_score", "prediction_class", "timestamp", "score_low", "score_mid", "score_high",
            ])
    }
}

@Suite("Tree forest: compiling ONNX-ML tree listings")
struct TreeForestTests {
    /// One tree: node 0 splits feature 1 at 2.5 (LEQ, NaN goes true), leaves 1 (weight 10) and 2 (weight 20).
    static func listing() -> TreeEnsembleListing {
        TreeEnsembleListing(
            treeIDs: [0, 0, 0], nodeIDs: [0, 1, 2], featureIDs: [1, 0, 0], modes: ["BRANCH_LEQ", "LEAF", "LEAF"],
            thresholds: [2.5, 0, 0], trueNodeIDs: [1, 0, 0], falseNodeIDs: [2, 0, 0], missingTracksTrue: [1, 0, 0],
            weightTreeIDs: [0, 0], weightNodeIDs: [1, 2], weightTargets: [0, 0], weights: [10, 20])
    }

    static func scores(_ forest: TreeForest, _ rows: [Float], width: Int) -> [Float] {
        let count = rows.count / width
        var scores = [Float](repeating: 0, count: count * forest.targetCount)
        var has = [Bool](repeating: false, count: count * forest.targetCount)
        rows.withUnsafeBufferPointer { x in
            scores.withUnsafeMutableBufferPointer { s in
                has.withUnsafeMutableBufferPointer { h in
                    forest.accumulate(
                        rows: x.baseAddress!, rowCount: count, stride: width, aggregation: .sum, scores: s.baseAddress!,
                        hasScore: h.baseAddress!)
                }
            }
        }
        return scores
    }

    @Test("pre-order layout: the true child follows its branch; values on the threshold and NaN go the way the mode and track say")
    func layout() throws {
        let forest = try TreeForest(Self.listing(), targetCount: 1)
        #expect(forest.nodes.count == 3 && forest.treeCount == 1 && forest.depth == 1)
        #expect(forest.nodes[0].falseChild == 2 && forest.nodes[1].isLeaf && forest.leafOfNode[2] == 1)
        #expect(Self.scores(forest, [0, 2.5, 0, 2.6, 0, .nan], width: 2) == [10, 20, 10])
        var noTrack = Self.listing()
        noTrack.missingTracksTrue = []
        #expect(Self.scores(try TreeForest(noTrack, targetCount: 1), [0, .nan], width: 2) == [20])
    }

    /// Ways to break ``listing()``, each with the words its refusal must contain.
    enum Damage: CaseIterable, Sendable {
        case listedTwice, missingChild, reachedTwice, unknownMode, unknownTarget, shortList, negativeFeature

        func apply(to l: inout TreeEnsembleListing) -> String {
            switch self {
            case .listedTwice:
                l.nodeIDs = [0, 1, 1]
                return "node 1 of tree 0 is listed twice"
            case .missingChild:
                l.falseNodeIDs = [7, 0, 0]
                return "has false child 7, which is not in the tree"
            case .reachedTwice:
                l.falseNodeIDs = [1, 0, 0]
                return "node 1 of tree 0 is reached twice"
            case .unknownMode:
                l.modes[0] = "BRANCH_SOMETIMES"
                return "has mode 'BRANCH_SOMETIMES'"
            case .unknownTarget:
                l.weightTargets = [0, 3]
                return "is for target 3, but there are 1"
            case .shortList:
                l.thresholds = [1]
                return "nodes_values has 1 entries but nodes_treeids has 3"
            case .negativeFeature:
                l.featureIDs[0] = -4
                return "reads feature -4"
            }
        }
    }

    @Test("listings that are not forests are refused with the tree and node", arguments: Damage.allCases)
    func refusals(_ damage: Damage) throws {
        var listing = Self.listing()
        let expected = damage.apply(to: &listing)
        do {
            _ = try TreeForest(listing, targetCount: 1)
            Issue.record("accepted a listing that should fail with: \(expected)")
        } catch {
            #expect(error.detail.contains(expected), "\(error.detail)")
        }
    }

    @Test("node ids far apart, and a tree listed in two runs, are found as well as compact ones")
    func sparseIDs() throws {
        var listing = Self.listing()
        listing.nodeIDs = [5, 1_000_000, Int(Int32.max) + 7]
        listing.trueNodeIDs = [1_000_000, 0, 0]
        listing.falseNodeIDs = [Int(Int32.max) + 7, 0, 0]
        listing.weightNodeIDs = [1_000_000, Int(Int32.max) + 7]
        // A second tree, listed between the first tree's root and its leaves: a single leaf of 100.
        listing.treeIDs = [0, 9, 0, 0]
        listing.nodeIDs.insert(0, at: 1)
        listing.featureIDs.insert(0, at: 1)
        listing.modes.insert("LEAF", at: 1)
        listing.thresholds.insert(0, at: 1)
        listing.trueNodeIDs.insert(0, at: 1)
        listing.falseNodeIDs.insert(0, at: 1)
        listing.missingTracksTrue.insert(0, at: 1)
        listing.weightTreeIDs.append(9)
        listing.weightNodeIDs.append(0)
        listing.weightTargets.append(0)
        listing.weights.append(100)
        let forest = try TreeForest(listing, targetCount: 1)
        #expect(forest.treeCount == 2)
        #expect(Self.scores(forest, [0, 2.5, 0, 2.6], width: 2) == [110, 120])
    }

    @Test("a tree that loops back on itself is refused, not walked forever")
    func cycle() throws {
        var listing = Self.listing()
        listing.modes = ["BRANCH_LEQ", "BRANCH_LEQ", "LEAF"]
        listing.trueNodeIDs = [1, 0, 0]
        listing.falseNodeIDs = [2, 2, 0]
        #expect(throws: OperatorError.self) { _ = try TreeForest(listing, targetCount: 1) }
    }
}
