import Foundation
import Testing

@testable import Engine

/// One entry of `Fixtures/models/fixtures.json`.
struct ConformanceFixture: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let file: String
    let inputName: String
    let features: Int
    let outputName: String
    let outputWidth: Int
    let kind: String
    let columns: [String]
    let expectedError: String?

    enum CodingKeys: String, CodingKey {
        case name, file, features, kind, columns
        case inputName = "input_name"
        case outputName = "output_name"
        case outputWidth = "output_width"
        case expectedError = "expected_error"
    }

    var testDescription: String { name }

    static let modelsFolder: String = {
        // …/Tests/EngineTests/Model/ConformanceTests.swift → …/Tests/EngineTests/Fixtures/models
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models").path
    }()

    static var oraclePath: String {
        URL(fileURLWithPath: modelsFolder).deletingLastPathComponent().appendingPathComponent("ort_oracle.py").path
    }

    static func loadManifest() throws -> [ConformanceFixture] {
        let data = try Data(contentsOf: URL(fileURLWithPath: modelsFolder + "/fixtures.json"))
        return try JSONDecoder().decode([ConformanceFixture].self, from: data)
    }

    /// Every fixture, or none when the manifest is missing (``ConformanceTests/manifestIsPresent()`` then fails).
    static let all: [ConformanceFixture] = (try? loadManifest()) ?? []
    static var numeric: [ConformanceFixture] { all.filter { $0.kind != "error" } }
    /// The error fixtures the engine must refuse. Two of make_models.py's error fixtures, a model
    /// with two inputs and one with an int64 input, load since issue 12 (inputs bound to columns
    /// by name, int64 columns read as integers): ModelLoadingTests covers them.
    static var failing: [ConformanceFixture] {
        all.filter { $0.kind == "error" && !["two_inputs", "int_input"].contains($0.name) }
    }

    var path: String { ConformanceFixture.modelsFolder + "/" + file }
}

/// Realistic value ranges of the sample data's columns, and a seeded generator for them.
enum SampleColumns {
    /// Inclusive ranges; `avg_transaction` has cents, the others are whole numbers.
    static let ranges: [String: (low: Double, high: Double, cents: Bool)] = [
        "age": (18, 79, false),
        "income": (20000, 149_999, false),
        "credit_score": (300, 849, false),
        "num_purchases": (0, 49, false),
        "account_age_days": (1, 3649, false),
        "avg_transaction": (10, 500, true),
        "num_returns": (0, 9, false),
        "is_premium": (0, 1, false),
        "region": (1, 4, false),
        "category_preference": (1, 9, false),
    ]

    /// SplitMix64: a tiny, seedable generator so every run feeds the same rows.
    struct Generator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// `rows` rows over `columns`, row-major.
    static func rows(_ rows: Int, columns: [String], seed: UInt64) throws -> [Float] {
        var generator = Generator(state: seed)
        let specs = try columns.map { name in
            guard let spec = ranges[name] else {
                throw ConformanceFailure("fixture column '\(name)' has no known value range; add it to SampleColumns.ranges")
            }
            return spec
        }
        var values: [Float] = []
        values.reserveCapacity(rows * columns.count)
        for _ in 0..<rows {
            for spec in specs {
                if spec.cents {
                    let cents = Int.random(in: Int(spec.low * 100)...Int(spec.high * 100), using: &generator)
                    values.append(Float(Double(cents) / 100))
                } else {
                    values.append(Float(Int.random(in: Int(spec.low)...Int(spec.high), using: &generator)))
                }
            }
        }
        return values
    }
}

struct ConformanceFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `Fixtures/ort_oracle.py` (onnxruntime) as the reference.
enum Oracle {
    static let setUpHint =
        "python3 with numpy and onnxruntime is required for the conformance tests; run the README's set-up (scripts/setup.sh installs them into .venv; make test puts .venv/bin first on PATH)"

    /// Runs a command through `/usr/bin/env` (so `python3` comes from PATH); returns status, stdout, stderr.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes before waiting so a chatty child cannot block on a full pipe.
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// Fails with the set-up hint unless python3 can import numpy and onnxruntime.
    static func requireAvailable() throws {
        let check: (status: Int32, output: String, error: String)
        do {
            check = try run(["python3", "-c", "import numpy, onnxruntime"])
        } catch {
            throw ConformanceFailure("cannot start python3 (\(error)). \(setUpHint)")
        }
        guard check.status == 0 else {
            let reason = check.error.split(separator: "\n").last.map(String.init) ?? "exit status \(check.status)"
            throw ConformanceFailure("python3 cannot import numpy/onnxruntime (\(reason)). \(setUpHint)")
        }
    }

    /// Scores `input` with onnxruntime; returns the output values and shape, and with `labels`
    /// the classifier's label output as text (else empty).
    static func predict(
        model: String, input: [Float], rows: Int, columns: Int, folder: TemporaryFolder, labels: Bool = false
    ) throws -> (values: [Float], shape: [Int], labels: [String]) {
        let inPath = folder.path + "/in.f32"
        let outPath = folder.path + "/out.f32"
        let labelsPath = folder.path + "/labels.txt"
        try input.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: inPath))
        let result = try run(
            ["python3", ConformanceFixture.oraclePath, model, inPath, String(rows), String(columns), outPath] + (labels ? [labelsPath] : [])
        )
        guard result.status == 0 else {
            throw ConformanceFailure("the oracle failed on \(model): \(result.error)")
        }
        let shape = try JSONDecoder().decode([Int].self, from: Data(result.output.utf8))
        let data = try Data(contentsOf: URL(fileURLWithPath: outPath))
        let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let labelLines = labels ? try String(contentsOfFile: labelsPath, encoding: .utf8).split(separator: "\n").map(String.init) : []
        return (values, shape, labelLines)
    }
}

@Suite("Conformance with onnxruntime")
struct ConformanceTests {
    static let rowCount = 10_000

    @Test("The fixture manifest is present and lists models to compare")
    func manifestIsPresent() throws {
        let fixtures = try ConformanceFixture.loadManifest()
        #expect(fixtures.contains { $0.kind != "error" }, "fixtures.json lists no numeric fixtures")
        #expect(fixtures.contains { $0.kind == "error" }, "fixtures.json lists no error fixtures")
    }

    @Test("Predictions match onnxruntime within 1e-5", arguments: ConformanceFixture.numeric)
    func matchesOracle(_ fixture: ConformanceFixture) throws {
        try Oracle.requireAvailable()
        let model = try ONNXModel.load(path: fixture.path)
        #expect(model.inputName == fixture.inputName)
        #expect(model.featureCount == fixture.features)
        #expect(model.outputName == fixture.outputName)
        #expect(model.outputWidth == fixture.outputWidth)

        let columns = Array(fixture.columns.prefix(fixture.features))
        #expect(
            columns.count == fixture.features,
            "\(fixture.name): the manifest names \(fixture.columns.count) columns for \(fixture.features) features")
        let seed = fixture.name.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }
        let input = try SampleColumns.rows(Self.rowCount, columns: columns, seed: seed)
        let ours = try input.withUnsafeBufferPointer { try model.predict($0, rows: Self.rowCount) }

        let folder = try TemporaryFolder()
        let reference = try Oracle.predict(model: fixture.path, input: input, rows: Self.rowCount, columns: columns.count, folder: folder)
        let ourShape = model.outputRank == 1 ? [Self.rowCount] : [Self.rowCount, model.outputWidth]
        #expect(reference.shape == ourShape, "\(fixture.name): onnxruntime's output shape \(reference.shape) differs from ours \(ourShape)")
        try #require(
            reference.values.count == ours.count, "\(fixture.name): \(reference.values.count) reference values, \(ours.count) ours")

        // 1e-5 absolute for every fixture (the regression fixture's values stay within ±3, where
        // float32 spacing is ~2e-7; see make_models.py).
        let tolerance: Float = 1e-5
        var worst = (difference: Float(0), index: 0)
        for index in ours.indices {
            let difference = abs(ours[index] - reference.values[index])
            if difference > worst.difference || difference.isNaN {
                worst = (difference, index)
                if difference.isNaN { break }
            }
        }
        let row = worst.index / max(model.outputWidth, 1)
        let features = input[(row * columns.count)..<((row + 1) * columns.count)].map { String($0) }.joined(separator: ", ")
        print(
            "conformance \(fixture.name): max |ours − onnxruntime| = \(worst.difference) (tolerance \(tolerance)) over \(Self.rowCount) rows"
        )
        #expect(
            worst.difference <= tolerance,
            "\(fixture.name): difference \(worst.difference) exceeds \(tolerance) at row \(row) (ours \(ours[worst.index]), onnxruntime \(reference.values[worst.index])); features [\(features)]"
        )
    }

    @Test("Error fixtures fail to load with the expected code", arguments: ConformanceFixture.failing)
    func rejectsErrorFixture(_ fixture: ConformanceFixture) throws {
        let expectedText = try #require(fixture.expectedError, "\(fixture.name) is an error fixture without expected_error")
        let code = try #require(
            Self.code(for: expectedText), "no error code known for '\(expectedText)'; extend ConformanceTests.code(for:)")
        do {
            _ = try ONNXModel.load(path: fixture.path)
            Issue.record("\(fixture.name) loaded, but should fail with \(code): \(expectedText)")
        } catch {
            #expect(error.code == code, "\(fixture.name): got \(error.code): \(error.message)")
            #expect(error.message.contains(fixture.path), "\(fixture.name): the message should name the model: \(error.message)")
            // Every name the manifest quotes (nodes, inputs, files) should appear in our message too.
            for quoted in Self.quotedNames(in: expectedText) {
                #expect(error.message.contains(quoted), "\(fixture.name): the message should mention '\(quoted)': \(error.message)")
            }
        }
    }

    /// Maps the manifest's prose to our error code.
    static func code(for expected: String) -> ModelError.Code? {
        let text = expected.lowercased()
        if text.contains("unsupported operator") { return .unsupportedOperators }
        if text.contains("opset") { return .unsupportedOpset }
        if text.contains("external data") { return .externalData }
        if text.contains("graph inputs") || text.contains("inputs (") { return .multipleInputs }
        if text.contains("element type") || text.contains("rank") { return .unsupportedInput }
        if text.contains("not an onnx") || text.contains("not onnx") { return .notONNX }
        if text.contains("truncated") { return .truncated }
        return nil
    }

    /// Names in single quotes, e.g. `'topk_best'` in "TopK (node 'topk_best')".
    static func quotedNames(in text: String) -> [String] {
        text.split(separator: "'", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }
}
