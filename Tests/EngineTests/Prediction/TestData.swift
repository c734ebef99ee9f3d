import Glibc
import Testing

@testable import Engine

/// Paths of the committed fixtures.
enum Fixtures {
    static let folder: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)  // Prediction/TestData.swift
        return parts.joined(separator: "/") + "/Fixtures"
    }()

    static func model(_ name: String) -> String { "\(folder)/models/\(name).onnx" }

    static let featureColumns = [
        "age", "income", "credit_score", "num_purchases", "account_age_days",
        "avg_transaction", "num_returns", "is_premium", "region", "category_preference",
    ]
}

/// Rows shaped like the Python original's sample data, seeded.
enum SampleRows {
    static func values(_ generator: inout SplitMix64) -> [String] {
        func int(_ low: Int, _ high: Int) -> String { String(low + Int(generator.next() % UInt64(high - low))) }
        let average = 10 + Double(generator.next() % 1_000_000) / 1_000_000 * 490
        return [
            int(18, 80), int(20000, 150000), int(300, 850), int(0, 50), int(1, 3650),
            String(average), int(0, 10), int(0, 2), int(1, 5), int(1, 10),
        ]
    }

    /// A CSV text with `user_id` and the ten features.
    static func csv(rows: Int, seed: UInt64 = 1) -> String {
        var generator = SplitMix64(seed: seed)
        var text = "user_id," + Fixtures.featureColumns.joined(separator: ",") + "\n"
        for id in 1...max(rows, 1) where rows > 0 {
            text += "\(id)," + values(&generator).joined(separator: ",") + "\n"
        }
        return text
    }
}

/// Options with a fixed timestamp so outputs can be compared byte for byte.
func testOptions(_ change: (inout PredictionOptions) -> Void = { _ in }) -> PredictionOptions {
    var options = PredictionOptions()
    options.fixedTimestamp = "2026-11-26 12:00:00.000000"
    change(&options)
    return options
}

/// Runs `predictCSV` on `text` and returns the thrown issue, or nil if it succeeded.
func issue(
    for text: String, model: String = "mlp_legacy", _ change: (inout PredictionOptions) -> Void = { _ in }
) throws -> (ValidationIssue?, String) {
    let folder = try TemporaryFolder()
    let input = folder.file("input.csv", text)
    let predictor = try BatchPredictor(modelPath: Fixtures.model(model), options: testOptions(change))
    do {
        try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        return (nil, input)
    } catch {
        return (error.issue, input)
    }
}

/// Lists a folder's entries (without . and ..), sorted.
enum FolderListing {
    struct Failure: Error {}

    static func names(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw Failure() }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
