import Checksum
import Testing

@testable import Engine

@Suite("Predictions file and model kinds")
struct PredictionTests {
    @Test("binary output: header, six-decimal scores, class by threshold, timestamp, features verbatim")
    func binaryFormat() throws {
        let folder = try TemporaryFolder()
        let header = "user_id," + Fixtures.featureColumns.joined(separator: ",")
        let input = folder.file(
            "in.csv", "\u{FEFF}\(header)\r\n7,30,50000,600,10,100,55.50,1,0,2,3\r\n\"8\", 41 ,+7.5e4,700,1,20,1E2,0,1,4,9")
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.includeFeatures = true })
        let report = try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        let lines = try #require(folder.read("out.csv")).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4)
        #expect(lines[0] == "user_id,prediction_score,prediction_class,timestamp," + Fixtures.featureColumns.joined(separator: ","))
        #expect(lines[3] == "")
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false)
        #expect(first[0] == "7")
        #expect(first[1].count == 8 && first[1].hasPrefix("0.") || first[1] == "1.000000")
        let score = Double(first[1])!
        #expect(first[2] == (score >= 0.5 ? "1" : "0"))
        #expect(first[3] == "2026-11-26 12:00:00.000000")
        #expect(first[4...].joined(separator: ",") == "30,50000,600,10,100,55.50,1,0,2,3")
        #expect(lines[2].hasPrefix("8,"))
        #expect(lines[2].hasSuffix(", 41 ,+7.5e4,700,1,20,1E2,0,1,4,9"))
        #expect(report.rowsPredicted == 2)
        // The in-memory API gives the same score.
        let row: [String: Double] = Dictionary(
            uniqueKeysWithValues: zip(Fixtures.featureColumns, [30, 50000, 600, 10, 100, 55.5, 1, 0, 2, 3]))
        let direct = try predictor.predict(rows: [row])
        var formatted = CSVOutputBuffer()
        formatted.append(sixDecimals: direct[0].score!)
        #expect(String(decoding: formatted.bytes, as: UTF8.self) == String(first[1]))
        #expect(predictor.lastReport?.rowsRead == 2)
    }

    @Test("the file's column order is free and extra columns pass through in input order")
    func columnOrder() throws {
        let folder = try TemporaryFolder()
        let ordered = SampleRows.csv(rows: 300, seed: 3)
        let lines = ordered.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let permutation = [5, 0, 10, 3, 1, 8, 2, 9, 4, 7, 6]
        let shuffled =
            lines.enumerated().map { index, fields in
                (permutation.map { fields[$0] } + [index == 0 ? "extra" : "x\(index)"]).joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        let a = folder.file("a.csv", ordered)
        let b = folder.file("b.csv", shuffled)
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.includeFeatures = true })
        try predictor.predictCSV(input: a, output: "\(folder.path)/a.out")
        try predictor.predictCSV(input: b, output: "\(folder.path)/b.out")
        let outA = folder.read("a.out")!.split(separator: "\n").map { $0.split(separator: ",").prefix(4).joined(separator: ",") }
        let outB = folder.read("b.out")!.split(separator: "\n").map { $0.split(separator: ",").prefix(4).joined(separator: ",") }
        #expect(outA == outB)
        let headerB = folder.read("b.out")!.prefix(while: { $0 != "\n" })
        let expectedEcho = permutation.filter { $0 != 0 }.map { lines[0][$0] } + ["extra"]
        #expect(headerB == "user_id,prediction_score,prediction_class,timestamp," + expectedEcho.joined(separator: ","))
    }

    @Test("output is byte-identical for 1, 2 and 3 threads and for any batch and chunk size")
    func deterministicAcrossThreads() throws {
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 20_000, seed: 9))
        func run(threads: Int, batch: Int, chunk: Int) throws -> (String, String) {
            let predictor = try BatchPredictor(
                modelPath: Fixtures.model("mlp_legacy"),
                options: testOptions {
                    $0.threads = threads
                    $0.batchSize = batch
                    $0.chunkBytes = chunk
                    $0.includeFeatures = true
                })
            let report = try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
            #expect(report.rowsPredicted == 20_000)
            return (folder.read("out.csv")!, report.text())
        }
        for (batch, chunk) in [(4096, 4 << 20), (100, 10_000), (1000, 64 << 10)] {
            let one = try run(threads: 1, batch: batch, chunk: chunk)
            let two = try run(threads: 2, batch: batch, chunk: chunk)
            let three = try run(threads: 3, batch: batch, chunk: chunk)
            #expect(one == two, "batch \(batch), chunk \(chunk)")
            #expect(one == three, "batch \(batch), chunk \(chunk)")
        }
        // The small-GEMM kernels compute each row on its own, so batch and chunk sizes change
        // nothing either (OpenBLAS, the fallback, could move a score's last bit).
        let a = try run(threads: 2, batch: 4096, chunk: 4 << 20).0
        let b = try run(threads: 2, batch: 7, chunk: 10_000).0
        if ONNXModel.matrixKernels.hasPrefix("small-GEMM") {
            #expect(a == b)
        } else {
            let linesA = a.split(separator: "\n").dropFirst()
            let linesB = b.split(separator: "\n").dropFirst()
            #expect(linesA.count == linesB.count)
            for (x, y) in zip(linesA, linesB) where x != y {
                #expect(abs(Double(x.split(separator: ",")[1])! - Double(y.split(separator: ",")[1])!) <= 1.5e-6)
            }
        }
    }

    @Test("the report has the input's SHA-256 unless hashInput is off, with 1 and 2 threads", arguments: [1, 2])
    func inputHash(threads: Int) throws {
        let folder = try TemporaryFolder()
        let text = SampleRows.csv(rows: 3_000, seed: 4)
        let input = folder.file("in.csv", text)
        func report(hashing: Bool) throws -> PredictionReport {
            let predictor = try BatchPredictor(
                modelPath: Fixtures.model("mlp_legacy"),
                options: testOptions {
                    $0.threads = threads
                    $0.chunkBytes = 16 << 10  // several chunks
                    $0.hashInput = hashing
                })
            return try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        }
        let hashed = try report(hashing: true)
        #expect(hashed.inputSHA256 == SHA256.hex(of: Array(text.utf8)))
        #expect(hashed.json().contains("\"sha256\": \"\(SHA256.hex(of: Array(text.utf8)))\""))
        let unhashed = try report(hashing: false)
        #expect(unhashed.inputSHA256 == nil)
        #expect(unhashed.json().contains("\"bytes\": \(text.utf8.count),\n    \"sha256\": null\n"))
        #expect(unhashed.rowsPredicted == 3_000)
    }

    @Test("the one-pass fast path and the general path give the same scores")
    func fastPathMatchesGeneralPath() throws {
        // Plain rows take the fast path; the same values spelt with quotes, spaces, signs,
        // exponents, more than 19 digits or CRLF take the general path (DecimalParser).
        var generator = SplitMix64(seed: 21)
        var plain = "user_id," + Fixtures.featureColumns.joined(separator: ",") + "\n"
        var spelt = plain
        for id in 1...3000 {
            var values = SampleRows.values(&generator)
            if id % 7 == 0 { values[5] = "-" + values[5] }
            if id % 11 == 0 { values[1] = "0.000" + values[1] }
            // Integers of 1 to 8 digits, with leading zeros, around the one-load case (≤ 7 digits).
            if id % 13 == 0 { values[2] = String(repeating: "0", count: id % 4) + "\(id * 7919 % 10_000_000)" }
            if id % 17 == 0 { values[3] = "\(1_000_000 + id)" }
            if id % 19 == 0 { values[4] = "\(id)\(id)" }
            plain += "\(id)," + values.joined(separator: ",") + "\n"
            let respelt = values.enumerated().map { index, value -> String in
                switch (id + index) % 6 {
                case 0: return "\"\(value)\""
                case 1: return " \(value)"
                case 2: return value.hasPrefix("-") ? value : "+" + value
                case 3: return value.contains(".") || value.contains("e") ? value : value + "e0"
                case 4: return value + (value.contains(".") ? "00000000000000000000" : ".00000000000000000000")
                default: return value
                }
            }
            spelt += "\(id)," + respelt.joined(separator: ",") + (id % 5 == 0 ? "\r\n" : "\n")
        }
        let folder = try TemporaryFolder()
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions())
        try predictor.predictCSV(input: folder.file("plain.csv", plain), output: "\(folder.path)/plain.out")
        try predictor.predictCSV(input: folder.file("spelt.csv", spelt), output: "\(folder.path)/spelt.out")
        let a = try #require(folder.read("plain.out"))
        let b = try #require(folder.read("spelt.out"))
        #expect(a.split(separator: "\n").count == 3001)
        #expect(a == b)
    }

    @Test("a logit output is refused unless --output-kind logit says so")
    func logit() throws {
        #expect {
            try BatchPredictor(modelPath: Fixtures.model("logit"))
        } throws: { error in
            let message = (error as? PredictionError)?.message ?? ""
            return (error as? PredictionError)?.code == .model && message.contains("--output-kind logit")
                && message.contains("not a Sigmoid")
        }
        let predictor = try BatchPredictor(modelPath: Fixtures.model("logit"), options: testOptions { $0.outputKind = .logit })
        #expect(predictor.schema == OutputSchema(kind: .binary, transform: .sigmoid, width: 1))
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 50))
        let report = try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        #expect(report.statistics.minimum >= 0 && report.statistics.maximum <= 1)
    }

    @Test("multiclass: class = argmax label, score = its probability, score_<label> columns")
    func multiclass() throws {
        let predictor = try BatchPredictor(modelPath: Fixtures.model("softmax3"), options: testOptions())
        #expect(predictor.schema.kind == .multiclass(labels: ["low", "mid", "high"]))
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 200))
        let report = try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        let lines = folder.read("out.csv")!.split(separator: "\n")
        #expect(lines[0] == "user_id,prediction_score,prediction_class,timestamp,score_low,score_mid,score_high")
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",")
            let probabilities = fields[4...6].map { Double($0)! }
            let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
            #expect(fields[2] == ["low", "mid", "high"][best])
            #expect(fields[1] == fields[4 + best])
            #expect(abs(probabilities.reduce(0, +) - 1) < 2e-6)
        }
        #expect(report.classCounts.reduce(0, +) == 200)
        #expect(report.text().contains("Classes:\n  low: "))
    }

    @Test("two-class softmax: the score is class 1's probability")
    func twoClass() throws {
        let predictor = try BatchPredictor(
            modelPath: Fixtures.model("two_class"), options: testOptions { $0.features = Fixtures.featureColumns })
        #expect(predictor.schema.kind == .twoClass(labels: ["0", "1"]))
        let row = Dictionary(uniqueKeysWithValues: zip(Fixtures.featureColumns, [40.0, 90000, 700, 5, 400, 80, 1, 1, 2, 3]))
        let prediction = try #require(try predictor.predict(rows: [row]).first)
        #expect(prediction.score == prediction.probabilities[1])
        #expect(prediction.predictedClass == (prediction.probabilities[1] >= 0.5 ? 1 : 0))
    }

    @Test("regression: prediction_value, no class, value statistics")
    func regression() throws {
        let predictor = try BatchPredictor(modelPath: Fixtures.model("regression"), options: testOptions())
        #expect(predictor.schema.kind == .regression)
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 100))
        let report = try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        let lines = folder.read("out.csv")!.split(separator: "\n")
        #expect(lines[0] == "user_id,prediction_value,timestamp")
        #expect(Float(lines[1].split(separator: ",")[1]) != nil)
        #expect(report.text().contains("Value Statistics:"))
        #expect(!report.text().contains("Positive"))
    }

    @Test("features named with --features when the model has no metadata; conflicts are errors")
    func requestedFeatures() throws {
        // batchnorm.onnx has no feature_columns metadata: every column but the id, in file order.
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 10))
        let byOrder = try BatchPredictor(modelPath: Fixtures.model("batchnorm"), options: testOptions())
        let named = try BatchPredictor(
            modelPath: Fixtures.model("batchnorm"), options: testOptions { $0.features = Fixtures.featureColumns })
        try byOrder.predictCSV(input: input, output: "\(folder.path)/a.csv")
        try named.predictCSV(input: input, output: "\(folder.path)/b.csv")
        #expect(folder.read("a.csv") == folder.read("b.csv"))
        let (conflict, _) = try issue(for: SampleRows.csv(rows: 3)) { $0.features = Array(Fixtures.featureColumns.reversed()) }
        #expect(conflict?.rule == .featureMismatch)
        let (count, _) = try issue(for: SampleRows.csv(rows: 3), model: "batchnorm") { $0.features = ["age", "income"] }
        #expect(count?.rule == .featureMismatch)
        #expect(count?.message.contains("takes 10 features") == true)
    }

    @Test("a file that is not a model is a model error naming the path")
    func notAModel() throws {
        let folder = try TemporaryFolder()
        let fake = folder.file("model.onnx", "user_id,age\n1,2\n")
        #expect {
            try BatchPredictor(modelPath: fake)
        } throws: { error in
            (error as? PredictionError)?.code == .model && (error as? PredictionError)?.message.contains(fake) == true
        }
    }
}
