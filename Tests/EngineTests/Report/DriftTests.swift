import CKernels
import Foundation
import Testing

@testable import Engine

/// Per-feature statistics, reference profiles and PSI (docs/DRIFT.md), with numpy as the oracle.
@Suite("Feature statistics and drift")
struct DriftTests {
    /// Sample rows (user_id and the ten features), `change` applied to each row's fields.
    static func csv(rows: Int, seed: UInt64, _ change: (inout [String], inout SplitMix64) -> Void = { _, _ in }) -> String {
        var generator = SplitMix64(seed: seed)
        var text = "user_id," + Fixtures.featureColumns.joined(separator: ",") + "\n"
        for id in 1...rows {
            var values = SampleRows.values(&generator)
            change(&values, &generator)
            text += "\(id)," + values.joined(separator: ",") + "\n"
        }
        return text
    }

    /// Profiles `train` and predicts `job` against it; returns the job's report.
    static func drift(
        train: String, job: String, model: String = Fixtures.model("mlp_legacy"), folder: TemporaryFolder,
        _ change: (inout PredictionOptions) -> Void = { _ in }
    ) throws -> (report: PredictionReport, reference: String, job: String) {
        let trainPath = folder.file("train.csv", train)
        let jobPath = folder.file("job.csv", job)
        let profile = try BatchPredictor(modelPath: model, options: testOptions(change)).profile(input: trainPath)
        let reference = folder.path + "/ref.json"
        try profile.json().write(toFile: reference, atomically: true, encoding: .utf8)
        let settings = try DriftSettings.load(path: reference)
        let predictor = try BatchPredictor(
            modelPath: model,
            options: testOptions {
                change(&$0)
                $0.drift = settings
            })
        let report = try predictor.predictCSV(input: jobPath, output: folder.path + "/out.csv")
        return (report, reference, jobPath)
    }

    /// PSI per feature from Fixtures/psi_oracle.py (numpy).
    static func oraclePSI(reference: String, job: String) throws -> [String: Double] {
        try Oracle.requireAvailable()
        let result = try Oracle.run(["python3", "\(Fixtures.folder)/psi_oracle.py", reference, job])
        guard result.status == 0 else { throw ConformanceFailure("psi_oracle.py failed: \(result.error)") }
        return try JSONDecoder().decode([String: Double].self, from: Data(result.output.utf8))
    }

    @Test("numeric summaries: mean, std, min, max and missing match a direct computation; merging chunks changes nothing")
    func numericSummary() throws {
        var generator = SplitMix64(seed: 7)
        let values: [Float] = (0..<5000).map { k in
            k % 97 == 0 ? .nan : Float(Double(generator.next() % 1_000_000) / 1000 - 300)
        }
        var whole = NumericSummary()
        values.withUnsafeBufferPointer { whole.add($0.baseAddress!, stride: 1, rows: $0.count) }
        var merged = NumericSummary()
        // Parts of a multiple of 4 rows: the histogram samples the same rows (every fourth).
        for start in stride(from: 0, to: values.count, by: 776) {
            var part = NumericSummary()
            values.withUnsafeBufferPointer { part.add($0.baseAddress! + start, stride: 1, rows: min(776, values.count - start)) }
            merged.merge(part)
        }
        let present = values.filter { !$0.isNaN }.map(Double.init)
        let mean = present.reduce(0, +) / Double(present.count)
        let std = (present.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(present.count - 1)).squareRoot()
        for summary in [whole, merged] {
            #expect(summary.count == present.count && summary.missing == values.count - present.count)
            #expect(summary.minimum == present.min()! && summary.maximum == present.max()!)
            #expect(abs(summary.mean - mean) < 1e-9 && abs(summary.standardDeviation! - std) < 1e-9)
            let histogram = summary.histogram(bins: 20)
            #expect(abs(histogram.reduce(0, +) - Double(present.count)) < 1e-6)
        }
        #expect(whole.buckets == merged.buckets)
        // Lengths that leave a tail of 1 to 3 rows, and a stride: the same as a direct computation.
        for length in [4999, 4998, 3, 2] {
            var odd = NumericSummary()
            let strided: [Float] = values.prefix(length).flatMap { [$0, -1e9] }
            strided.withUnsafeBufferPointer { odd.add($0.baseAddress!, stride: 2, rows: length) }
            let kept = values.prefix(length).filter { !$0.isNaN }.map(Double.init)
            let keptMean = kept.reduce(0, +) / Double(kept.count)
            #expect(odd.count == kept.count && odd.missing == length - kept.count, "\(length)")
            #expect(odd.minimum == kept.min()! && odd.maximum == kept.max()!, "\(length)")
            #expect(abs(odd.mean - keptMean) < 1e-9, "\(length)")
        }
        // Uniform values draw a roughly flat sparkline.
        let histogram = whole.histogram(bins: 10)
        #expect(histogram.allSatisfy { abs($0 - Double(present.count) / 10) < Double(present.count) / 10 * 0.5 }, "\(histogram)")
    }

    @Test("bins are left-closed, the last closed; below the first edge and above the last go to the ends; NaN is missing")
    func binning() {
        let edges = (0...10).map(Double.init)
        let distribution = ReferenceProfile.Distribution(
            name: "x", kind: .numeric, rows: 10, missing: 0, edges: edges, counts: [Int](repeating: 1, count: 10), categories: nil)
        guard case .numeric(let interior, let floats, let low, let high) = DriftBinning.Bins(distribution) else {
            Issue.record("not numeric")
            return
        }
        let values: [Float] = [-5, 0, 0.999, 1, 4.5, 9, 9.5, 10, 11, .nan]
        let expected = [0, 0, 0, 1, 4, 9, 9, 9, 9, 10]
        var floatCounts = DriftCounts(binCount: 11)
        values.withUnsafeBufferPointer {
            floatCounts.add($0.baseAddress!, stride: 1, rows: $0.count, floatEdges: floats, low: low, high: high)
        }
        var doubleCounts = DriftCounts(binCount: 11)
        for value in values { doubleCounts.add(Double(value), edges: interior, low: low, high: high) }
        var wanted = [Int](repeating: 0, count: 11)
        for bin in expected { wanted[bin] += 1 }
        #expect(floatCounts.bins == wanted && doubleCounts.bins == wanted)
        #expect(floatCounts.outOfRange == 2 && doubleCounts.outOfRange == 2)
        // An edge that no float equals: the float path compares as the double path does.
        let oddEdges = [0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
        let odd = ReferenceProfile.Distribution(
            name: "x", kind: .numeric, rows: 10, missing: 0, edges: oddEdges, counts: [Int](repeating: 1, count: 10), categories: nil)
        guard case .numeric(let oddInterior, let oddFloats, _, _) = DriftBinning.Bins(odd) else { return }
        for value in [Float(0.1), Float(0.1).nextDown, Float(0.3), Float(0.3).nextUp, Float(0.7)] {
            var a = DriftCounts(binCount: 11)
            [value].withUnsafeBufferPointer { a.add($0.baseAddress!, stride: 1, rows: 1, floatEdges: oddFloats, low: 0, high: 1) }
            var b = DriftCounts(binCount: 11)
            b.add(Double(value), edges: oddInterior, low: 0, high: 1)
            #expect(a.bins == b.bins, "\(value)")
        }
    }

    @Test(
        "the kernels' SSE2 and AVX2 builds agree bit for bit, strided and contiguous, on every tail length",
        arguments: [1, 7, 8, 9, 511, 512, 513, 1029])
    func kernelBuilds(rows: Int) {
        var generator = SplitMix64(seed: UInt64(rows))
        let stride = 3
        let values: [Float] = (0..<rows * stride).map { _ in
            let draw = generator.next()
            return draw % 17 == 0 ? .nan : Float(Int64(draw % 2_000_001) - 1_000_000) / 1000
        }
        let edges: [Float] = [-800, -500, -200, -1, 0, 1, 200, 500, 800]
        values.withUnsafeBufferPointer { buffer in
            for step in [1, stride] {
                let count = step == 1 ? buffer.count : rows
                var fast = [UInt32](repeating: 0, count: NumericSummary.bucketCount)
                var plain = fast
                let a = iw_column_stats_f32(buffer.baseAddress!, step, count, 1.5, &fast)
                let b = iw_column_stats_f32_plain(buffer.baseAddress!, step, count, 1.5, &plain)
                #expect(a.missing == b.missing && a.low == b.low && a.high == b.high, "\(step)")
                #expect(a.sum.bitPattern == b.sum.bitPattern && a.sum_of_squares.bitPattern == b.sum_of_squares.bitPattern)
                #expect(fast == plain)
                #expect(count < 500 || a.missing > 0, "the data has missing values to count")
                var binsA = [Int](repeating: 0, count: 11)
                var binsB = binsA
                var outsideA = 0
                var outsideB = 0
                iw_drift_bins_f32(buffer.baseAddress!, step, count, edges, -900, 900, &binsA, &outsideA)
                iw_drift_bins_f32_plain(buffer.baseAddress!, step, count, edges, -900, 900, &binsB, &outsideB)
                #expect(binsA == binsB && outsideA == outsideB && binsA.reduce(0, +) == count, "\(step)")
            }
        }
    }

    @Test("the PSI formula: floors at 1e-4, zero for equal proportions")
    func formula() {
        #expect(PopulationStability.index(actual: [0.5, 0.5], expected: [0.5, 0.5]) == 0)
        let psi = PopulationStability.index(actual: [0.9, 0.1, 0], expected: [0.5, 0.5, 0])
        #expect(abs(psi - ((0.4 * log(0.9 / 0.5)) + (-0.4 * log(0.1 / 0.5)))) < 1e-15)
        let floored = PopulationStability.index(actual: [1, 0], expected: [0.5, 0.5])
        #expect(abs(floored - (0.5 * log(1 / 0.5) + (1e-4 - 0.5) * log(1e-4 / 0.5))) < 1e-15)
    }

    @Test("a profile's decile edges are numpy's linear quantiles")
    func quantiles() throws {
        let values: [Double] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, .nan]
        let distribution = ReferenceProfile.Distribution.numeric(name: "x", values: values)
        // numpy.quantile(present, numpy.linspace(0, 1, 11))
        let numpy = [1.0, 2.0, 2.2, 3.0, 3.4000000000000004, 4.5, 5.0, 6.0, 7.800000000000001, 8.900000000000002, 9.0]
        #expect(distribution.edges == numpy)
        #expect(distribution.missing == 1 && distribution.rows == values.count && distribution.counts.reduce(0, +) == values.count - 1)
    }

    @Test("a file drawn from the reference's distribution stays under warn, features and score")
    func sameDistribution() throws {
        let folder = try TemporaryFolder()
        let (report, _, _) = try Self.drift(train: Self.csv(rows: 40_000, seed: 1), job: Self.csv(rows: 20_000, seed: 2), folder: folder)
        let drift = try #require(report.drift)
        for column in drift.features + [drift.score] {
            #expect(column.psi < drift.warnPSI && column.level == .ok, "\(column.name): \(column.psi)")
            #expect(column.outOfRangeShare < 0.001, "\(column.name)")
        }
        #expect(drift.level == .ok && drift.alerted.isEmpty)
        #expect(report.features.map(\.name) == Fixtures.featureColumns)
        #expect(report.features.allSatisfy { $0.count == 20_000 && $0.missing == 0 })
    }

    @Test("one shifted feature crosses alert, alone; the PSI matches numpy on the same bins to 1e-9")
    func shiftedFeature() throws {
        let folder = try TemporaryFolder()
        let income = Fixtures.featureColumns.firstIndex(of: "income")!
        let job = Self.csv(rows: 20_000, seed: 3) { values, _ in values[income] = String(Int(values[income])! + 60_000) }
        let (report, reference, jobPath) = try Self.drift(train: Self.csv(rows: 40_000, seed: 1), job: job, folder: folder)
        let drift = try #require(report.drift)
        #expect(drift.alerted.map(\.name) == ["income"])
        #expect(drift.warned.isEmpty)
        let shifted = try #require(drift.features.first { $0.name == "income" })
        #expect(shifted.psi > drift.alertPSI && shifted.outOfRangeShare > 0.3)
        #expect(drift.level == .alert && drift.summaryLine.hasPrefix("ALERT income (PSI "))
        let oracle = try Self.oraclePSI(reference: reference, job: jobPath)
        for column in drift.features {
            let expected = try #require(oracle[column.name])
            #expect(abs(column.psi - expected) < 1e-9, "\(column.name): \(column.psi) vs numpy \(expected)")
        }
        // report.json carries it.
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        let driftJSON = try #require(json["drift"] as? [String: Any])
        #expect(driftJSON["alerted"] as? [String] == ["income"] && driftJSON["level"] as? String == "alert")
        #expect((json["features"] as? [[String: Any]])?.count == 10)
    }

    @Test("string columns: categories plus other plus missing; missing numbers; PSI matches numpy to 1e-9")
    func stringColumns() throws {
        let folder = try TemporaryFolder()
        let fixture = PipelineFixture.folder + "/ct_gb_classifier.onnx"
        let header =
            "note,channel,category_preference,region,is_premium,num_returns,avg_transaction,account_age_days,"
            + "num_purchases,credit_score,income,age,store_id,segment\n"
        func rows(_ count: Int, seed: UInt64, channels: [String]) -> String {
            var generator = SplitMix64(seed: seed)
            var text = header
            func number(_ low: Int, _ high: Int) -> String {
                generator.next() % 20 == 0 ? "" : String(low + Int(generator.next() % UInt64(high - low)))
            }
            for row in 0..<count {
                let channel = channels[Int(generator.next() % UInt64(channels.count))]
                let segment = ["enterprise", "smb", "retail", ""][Int(generator.next() % 4)]
                let fields = [
                    "r\(row)", channel, number(1, 10), number(1, 5), number(0, 2), number(0, 10), number(10, 500), number(1, 3650),
                    number(0, 50), number(300, 850), number(20000, 150_000), number(18, 80), "\(row % 30)", segment,
                ]
                text += fields.joined(separator: ",") + "\n"
            }
            return text
        }
        let train = rows(8000, seed: 1, channels: ["web", "store", "phone", "partner", ""])
        let job = rows(4000, seed: 2, channels: ["web", "web", "store", "email", "fax", ""])
        let (report, reference, jobPath) = try Self.drift(train: train, job: job, model: fixture, folder: folder) { $0.idColumn = "note" }
        let drift = try #require(report.drift)
        let channel = try #require(drift.features.first { $0.name == "channel" })
        #expect(channel.binNames.suffix(2) == ["other", "missing"])
        #expect(channel.outOfRangeShare > 0.2 && channel.level == .alert)
        let oracle = try Self.oraclePSI(reference: reference, job: jobPath)
        #expect(oracle.count == drift.features.count)
        for column in drift.features {
            let expected = try #require(oracle[column.name])
            #expect(abs(column.psi - expected) < 1e-9, "\(column.name): \(column.psi) vs numpy \(expected)")
        }
        let age = try #require(report.features.first { $0.name == "age" })
        #expect(age.missing > 0 && age.count + age.missing == 4000)
        guard case .string(let channels) = try #require(report.features.first { $0.name == "channel" }).values else {
            Issue.record("channel is not a string feature")
            return
        }
        #expect(channels.missing > 0 && channels.frequencies["email"] != nil)
    }

    @Test("statistics and drift do not depend on the number of threads")
    func threadInvariance() throws {
        let folder = try TemporaryFolder()
        let train = Self.csv(rows: 30_000, seed: 1)
        let job = Self.csv(rows: 30_000, seed: 4)
        let one = try Self.drift(train: train, job: job, folder: folder) {
            $0.threads = 1
            $0.chunkBytes = 64 << 10
        }
        let two = try Self.drift(train: train, job: job, folder: folder) {
            $0.threads = 2
            $0.chunkBytes = 64 << 10
        }
        #expect(one.report.features == two.report.features)
        #expect(one.report.drift == two.report.drift)
    }

    @Test("a reference for other features is refused, naming both lists")
    func mismatchedReference() throws {
        let folder = try TemporaryFolder()
        let distribution = ReferenceProfile.Distribution.numeric(name: "other", values: [1, 2, 3])
        let profile = ReferenceProfile(
            source: .init(path: "t.csv", sha256: nil, rows: 3), model: .init(path: "m", sha256: "0"), features: [distribution],
            score: distribution)
        let path = folder.path + "/ref.json"
        try profile.json().write(toFile: path, atomically: true, encoding: .utf8)
        let settings = try DriftSettings.load(path: path)
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.drift = settings })
        let input = folder.file("in.csv", SampleRows.csv(rows: 10))
        #expect {
            try predictor.predictCSV(input: input, output: folder.path + "/out.csv")
        } throws: { error in
            "\(error)".contains("the reference profiles the features other but the model reads age, income")
        }
    }
}
