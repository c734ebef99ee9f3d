import Files
import Testing

@testable import Engine

/// Parquet inputs (Fixtures/parquet, written by pyarrow and polars from sample.csv: see
/// make_parquet_inputs.py) give the CSV's predictions.
@Suite("Parquet input")
struct ParquetInputTests {
    static let folder = Fixtures.folder + "/parquet"
    static let writers = [
        "dictionary-v1-zstd", "plain-v2-snappy", "delta-v1-gzip", "bss-v2-none", "row-groups", "float32", "polars",
    ]

    /// predictions.csv's rows split into fields.
    private func rows(_ folder: TemporaryFolder, _ name: String) -> [[Substring]] {
        folder.read(name)!.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    }

    @Test("every writer's file gives the CSV's ids and classes, and its scores within 2e-6", arguments: writers)
    func sameAsCSV(writer: String) throws {
        let folder = try TemporaryFolder()
        // Small batches and two threads: slices end inside row groups and batches end inside slices.
        let options = testOptions {
            $0.threads = 2
            $0.batchSize = 500
        }
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: options)
        try predictor.predictCSV(input: "\(Self.folder)/sample.csv", output: "\(folder.path)/csv.out")
        let report = try predictor.predictCSV(input: "\(Self.folder)/\(writer).parquet", output: "\(folder.path)/parquet.out")
        #expect(report.rowsRead == 2_000 && report.rowsPredicted == 2_000)
        let expected = rows(folder, "csv.out")
        let got = rows(folder, "parquet.out")
        #expect(got.count == expected.count)
        #expect(got.first == expected.first, "the header")
        var largest = 0.0
        for (a, b) in zip(expected.dropFirst(), got.dropFirst()) {
            #expect(a[0] == b[0] && a[2] == b[2] && a[3] == b[3], "\(a) vs \(b)")
            largest = max(largest, abs(Double(a[1])! - Double(b[1])!))
        }
        #expect(largest <= 2e-6)
        let digest = try FileDigest(of: "\(Self.folder)/\(writer).parquet")
        #expect(report.inputSHA256 == digest.sha256, "the hash is of the file as received")
    }

    @Test("echoed columns follow the text rules: integers as digits, doubles in their shortest form")
    func echoedText() throws {
        let folder = try TemporaryFolder()
        let predictor = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.includeFeatures = true })
        try predictor.predictCSV(input: "\(Self.folder)/dictionary-v1-zstd.parquet", output: "\(folder.path)/out.csv")
        try predictor.predictCSV(input: "\(Self.folder)/sample.csv", output: "\(folder.path)/csv.out")
        let got = rows(folder, "out.csv")
        let csv = rows(folder, "csv.out")
        #expect(got[0] == csv[0])
        for (a, b) in zip(got.dropFirst(), csv.dropFirst()) {
            #expect(a[0...3] == b[0...3])
            // The CSV echoes its text verbatim (trailing zeros included); Parquet the double.
            for k in 4..<a.count {
                #expect(Double(a[k]) == Double(b[k]), "\(a[k]) vs \(b[k])")
                #expect(a[k] == b[k] || b[k].hasSuffix("0"), "\(a[k]) vs \(b[k])")
            }
        }
    }

    @Test("nulls and NaN are rejected naming the row, its row group and the column; rejected.csv re-writes the row as CSV")
    func nullsRejected() throws {
        let folder = try TemporaryFolder()
        let predictor = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.policy = .lenient(maxRejectedFraction: 0.1) })
        let report = try predictor.predictCSV(
            input: "\(Self.folder)/nulls.parquet", output: "\(folder.path)/out.csv", rejected: "\(folder.path)/rejected.csv")
        #expect(report.rowsRead == 2_000)
        #expect(report.rowsRejected == 5)
        #expect(report.rejectedSample.map(\.line) == [5, 17, 40, 1001, 1999])
        #expect(report.rejectedSample.map(\.rule) == [.emptyID, .emptyValue, .nonFinite, .emptyValue, .emptyValue])
        #expect(report.rejectedSample.map(\.columnName) == ["user_id", "income", "age", "income", "avg_transaction"])
        let income = try #require(report.rejectedSample.first { $0.line == 17 })
        #expect(income.rowGroup == 0)
        #expect(income.column == 3)
        #expect(
            income.description.hasSuffix(
                "nulls.parquet: row 17 (row group 0), column 3: column 'income' value \"\" is missing (null); every feature needs a number [empty-value]"
            ))
        let rejected = folder.read("rejected.csv")!.split(separator: "\n")
        #expect(rejected.count == 6)
        #expect(rejected[0] == "line,column,column_name,rule,reason,record")
        // Row 17 as CSV, in one quoted field: every decoded column in file order, the null as an
        // empty field, age (a double column in this file) in its shortest form.
        let sample = try #require(folder.read("\(Self.folder)/sample.csv")).split(separator: "\n")
        var fields = sample[17].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[1] += ".0"
        fields[2] = ""
        #expect(rejected[2].hasPrefix("17,3,income,empty-value,"))
        #expect(rejected[2].hasSuffix(",\"\(fields.joined(separator: ","))\""), "\(rejected[2])")
        #expect(folder.read("out.csv")!.split(separator: "\n").count == 1 + 1_995)
    }

    @Test("a tree model takes Parquet nulls as missing values; a null id and a stored NaN are still rejected")
    func nullsForTrees() throws {
        let folder = try TemporaryFolder()
        let predictor = try BatchPredictor(
            modelPath: TreeModelPredictionTests.tree("lgbm_binary"),
            options: testOptions {
                $0.policy = .lenient(maxRejectedFraction: 0.1)
                $0.features = Fixtures.featureColumns
            })
        let report = try predictor.predictCSV(input: "\(Self.folder)/nulls.parquet", output: "\(folder.path)/out.csv")
        #expect(report.rowsRead == 2_000)
        #expect(report.rejectedSample.map(\.line) == [5, 40])
        #expect(report.rowsPredicted == 1_998)
    }

    @Test("strict: the first bad row fails the file with its row and row group")
    func strictFailure() throws {
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions())
        let folder = try TemporaryFolder()
        #expect {
            try predictor.predictCSV(input: "\(Self.folder)/nulls.parquet", output: "\(folder.path)/out.csv")
        } throws: { error in
            let issue = (error as? PredictionError)?.issue
            return issue?.line == 5 && issue?.rowGroup == 0 && issue?.rule == .emptyID
        }
    }

    @Test("text ids and echoed text are quoted where CSV needs it; a text feature is parsed as a number")
    func textColumns() throws {
        let folder = try TemporaryFolder()
        let predictor = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.includeFeatures = true })
        let report = try predictor.predictCSV(input: "\(Self.folder)/strings.parquet", output: "\(folder.path)/out.csv")
        #expect(report.rowsPredicted == 300)
        let lines = folder.read("out.csv")!.split(separator: "\n")
        #expect(lines[0].hasSuffix(",category_preference,note"))
        #expect(lines[1].hasPrefix("u1,"))
        #expect(lines[1].hasSuffix(",\"row 0, \"\"quoted\"\"\""), "\(lines[1])")
        #expect(lines[2].hasSuffix(",plain 1"))
        // The same scores as the CSV of the same rows.
        try predictor.predictCSV(input: "\(Self.folder)/sample.csv", output: "\(folder.path)/csv.out")
        let csv = folder.read("csv.out")!.split(separator: "\n")
        for k in 1...300 {
            #expect(lines[k].split(separator: ",")[1] == csv[k].split(separator: ",")[1])
        }
    }

    @Test("validate checks a Parquet file; a missing feature column is named")
    func validate() throws {
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions())
        let summary = try predictor.validateCSV(input: "\(Self.folder)/nulls.parquet")
        #expect(summary.rowsRead == 2_000 && summary.invalidRows == 5)
        #expect(summary.issues.first?.rowGroup == 0)
        let good = try predictor.validateCSV(input: "\(Self.folder)/row-groups.parquet")
        #expect(good.rowsRead == 2_000 && good.invalidRows == 0)
        let other = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.idColumn = "customer" })
        #expect {
            try other.validateCSV(input: "\(Self.folder)/row-groups.parquet")
        } throws: { error in
            (error as? PredictionError)?.issue?.rule == .missingColumn
        }
    }

    @Test("a damaged Parquet file fails with a malformed-input error naming it, never a crash")
    func damagedFile() throws {
        let folder = try TemporaryFolder()
        let good = try FileContents.read("\(Self.folder)/polars.parquet")
        let cut = "\(folder.path)/cut.parquet"
        folder.write(cut, Array(good.prefix(good.count / 2)) + Array("PAR1".utf8))
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions())
        #expect {
            try predictor.predictCSV(input: cut, output: "\(folder.path)/out.csv")
        } throws: { error in
            guard let error = error as? PredictionError else { return false }
            return error.code == .malformedInput && error.description.contains("cut.parquet")
        }
    }
}
