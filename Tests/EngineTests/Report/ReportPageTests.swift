import Foundation
import Testing

@testable import Engine

/// report.html's rules that hold whatever the input (its rendering is tested in Chromium: tests/html).
@Suite("report.html")
struct ReportPageTests {
    /// A report of `featureCount` features with drift, and `rejected` rejected rows whose values
    /// are long and hostile.
    static func report(featureCount: Int, rejected: Int) -> PredictionReport {
        var report = PredictionReport(
            inputPath: "/spool/<b>in&put</b>.csv", inputSHA256: String(repeating: "a", count: 64), inputBytes: 123_456,
            modelPath: "/models/m.onnx", modelSHA256: String(repeating: "b", count: 64), outputKind: .binary, threshold: 0.5,
            policy: .lenient(maxRejectedFraction: 0.5), startedAt: "2026-12-05 10:00:00")
        report.rowsRead = 1000 + rejected
        report.rowsPredicted = 1000
        report.rowsRejected = rejected
        report.rejectedSample = (0..<min(rejected, 100)).map { k in
            ValidationIssue(
                file: "in.csv", line: k + 2, column: 3, columnName: "<script>alert(1)</script>",
                value: String(repeating: "x", count: 5000), rule: .notANumber, message: "is not a number \(k)")
        }
        var names: [String] = []
        var summaries: [FeatureSummary] = []
        for k in 0..<featureCount {
            var summary = NumericSummary()
            let values = (0..<1000).map { Float(($0 * (k + 1)) % 97) }
            values.withUnsafeBufferPointer { summary.add($0.baseAddress!, stride: 1, rows: $0.count) }
            names.append("feature_\(k)_\(String(repeating: "n", count: 40))")
            summaries.append(FeatureSummary(name: names[k], values: .numeric(summary)))
        }
        report.features = summaries
        let distributions = names.map { ReferenceProfile.Distribution.numeric(name: $0, values: (0..<100).map(Double.init)) }
        let profile = ReferenceProfile(
            source: .init(path: "t.csv", sha256: nil, rows: 100), model: .init(path: "m", sha256: "0"), features: distributions,
            score: .numeric(name: "score", values: (0..<100).map { Double($0) / 100 }))
        let settings = DriftSettings(reference: profile, referencePath: "/ref.json")
        let counts = names.indices.map { k -> DriftCounts in
            var counts = DriftCounts(binCount: 11)
            for bin in 0..<10 { counts.bins[bin] = 100 }
            counts.bins[0] += 10 * (k % 97)  // a PSI that grows with k
            return counts
        }
        var score = DriftCounts(binCount: 11)
        score.bins[3] = 1000
        report.drift = DriftReport(settings: settings, features: counts, score: score)
        report.modelMetadata = ["feature_columns": "[\"a\"]", "producer": "<skl2onnx>"]
        return report
    }

    @Test("under 200 KB whatever the column and row count; shows 50 features and says how many it left out", arguments: [1, 60, 5000])
    func sizeBound(features: Int) throws {
        let html = ReportPage(report: Self.report(featureCount: features, rejected: 10_000)).html()
        #expect(html.utf8.count < 200_000, "\(html.utf8.count) bytes")
        if features > ReportPage.featureLimit {
            #expect(html.contains("\(groupedThousands(features - ReportPage.featureLimit)) more features left out"))
        }
        #expect(html.contains("9,980 more rejected rows left out"))
    }

    @Test("self-contained and escaped: no script, no link to anywhere, input text escaped")
    func selfContained() {
        let html = ReportPage(report: Self.report(featureCount: 3, rejected: 5)).html()
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("/spool/&lt;b&gt;in&amp;put&lt;/b&gt;.csv"))
        #expect(html.contains("&lt;skl2onnx&gt;"))
        #expect(html.contains("@media print") && html.contains("name=\"viewport\""))
    }

    @Test("features with the highest PSI come first")
    func driftOrder() throws {
        let report = Self.report(featureCount: 12, rejected: 0)
        let drift = try #require(report.drift)
        let html = ReportPage(report: report).html()
        let highest = try #require(drift.features.max { $0.psi < $1.psi })
        let lowest = try #require(drift.features.min { $0.psi < $1.psi })
        let features = try #require(html.range(of: "<h2>Features</h2>"))
        let first = try #require(html.range(of: highest.name, range: features.upperBound..<html.endIndex))
        let last = try #require(html.range(of: lowest.name, range: features.upperBound..<html.endIndex))
        #expect(first.lowerBound < last.lowerBound)
    }
}
