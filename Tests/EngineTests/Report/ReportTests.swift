import Foundation
import Testing

@testable import Engine

/// What make_report_golden.py wrote: pandas' figures for one score set.
struct PandasSummary: Decodable {
    let count: Int
    let positive: Int
    let negative: Int
    let mean: Double
    let std: Double?
    let min: Double
    let max: Double
    let histogram: [Int]
}

@Suite("Report numbers and layout")
struct ReportTests {
    static let goldenFolder = "\(Fixtures.folder)/report"

    static var goldenNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: goldenFolder)) ?? [])
            .filter { $0.hasPrefix("scores_") && $0.hasSuffix(".txt") }
            .map { String($0.dropFirst(7).dropLast(4)) }
            .sorted()
    }

    @Test("golden score sets exist")
    func goldensExist() {
        #expect(Self.goldenNames.count >= 4)
    }

    @Test("statistics equal what pandas computes on the same scores", arguments: goldenNames)
    func matchesPandas(name: String) throws {
        let scores = try String(contentsOfFile: "\(Self.goldenFolder)/scores_\(name).txt", encoding: .utf8)
            .split(separator: "\n").compactMap { Double($0) }
        let golden = try JSONDecoder().decode(
            PandasSummary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.goldenFolder)/scores_\(name).json")))
        // Stream the scores in uneven chunks and merge, as the engine's workers do.
        var total = ScoreStatistics()
        var start = 0
        var size = 1
        while start < scores.count {
            var part = ScoreStatistics()
            for score in scores[start..<min(start + size, scores.count)] { part.add(score, positive: score >= 0.5) }
            total.merge(part)
            start += size
            size = size * 3 + 1
        }
        #expect(total.count == golden.count)
        #expect(total.positive == golden.positive)
        #expect(total.negative == golden.negative)
        #expect(abs(total.mean - golden.mean) <= 1e-12)
        #expect(total.minimum == golden.min)
        #expect(total.maximum == golden.max)
        if let std = golden.std {
            #expect(abs(total.standardDeviation! - std) <= 1e-12 * max(1, std))
        } else {
            #expect(total.standardDeviation == nil)
        }
        #expect(total.histogram == golden.histogram)
    }

    @Test("report.txt has the Python original's exact layout")
    func layout() {
        var statistics = ScoreStatistics()
        for score in [0.0, 0.1, 0.2, 0.25, 0.5, 0.61, 0.8, 0.95, 1.0, 0.7] { statistics.add(score, positive: score >= 0.5) }
        var report = PredictionReport(
            inputPath: "in.csv", inputSHA256: nil, inputBytes: 0, modelPath: "m.onnx", modelSHA256: "", outputKind: .binary,
            threshold: 0.5, policy: .strict, startedAt: "")
        report.statistics = statistics
        let expected = """
            ============================================================
            BATCH INFERENCE REPORT
            ============================================================
            Total Predictions: 10
            Positive: 6 (60.0%)
            Negative: 4 (40.0%)

            Score Statistics:
              Mean: 0.5110
              Std:  0.3584
              Min:  0.0000
              Max:  1.0000

            Score Distribution:
              (0.0, 0.2]: 3 (30.0%)
              (0.2, 0.4]: 1 (10.0%)
              (0.4, 0.6]: 1 (10.0%)
              (0.6, 0.8]: 3 (30.0%)
              (0.8, 1.0]: 2 (20.0%)
            ============================================================

            """
        #expect(report.text() == expected)
    }

    @Test("thousands separators")
    func thousands() {
        #expect(groupedThousands(0) == "0")
        #expect(groupedThousands(999) == "999")
        #expect(groupedThousands(1000) == "1,000")
        #expect(groupedThousands(10_000_000) == "10,000,000")
    }
}
