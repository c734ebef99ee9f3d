import Files
import Glibc
import Testing

@testable import Engine

/// `limits.max_record_bytes` and `limits.max_columns`, and how bytes of a hostile input reach a message.
@Suite("Input limits and escaped input bytes")
struct InputLimitTests {
    let header = "user_id," + Fixtures.featureColumns.joined(separator: ",")
    let good = "1,30,50000,600,10,100,55.5,1,0,2,3"

    /// What `predictCSV` and then `validateCSV` throw for `input` (nil where one succeeds).
    static func failures(_ predictor: BatchPredictor, input: String, output: String) -> [PredictionError?] {
        var errors: [PredictionError?] = [nil, nil]
        do { _ = try predictor.predictCSV(input: input, output: output) } catch { errors[0] = error }
        do { _ = try predictor.validateCSV(input: input) } catch { errors[1] = error }
        return errors
    }

    /// A data row whose id is `idBytes` long (quoted, with a newline inside, so it spans two lines).
    func longRow(idBytes: Int) -> String {
        "\"" + String(repeating: "a", count: idBytes - 3) + "\n\",30,50000,600,10,100,55.5,1,0,2,3"
    }

    @Test("a record longer than the limit fails naming the line it starts on, whatever the chunk size")
    func recordTooLong() throws {
        // Line 3 holds a 40,000-byte record (with a quoted newline); the limit is 10,000 bytes.
        let text = "\(header)\n\(good)\n\(longRow(idBytes: 40_000))\n\(good)\n"
        for chunkBytes in [4096, 1 << 20] {
            let (found, input) = try issue(for: text) {
                $0.chunkBytes = chunkBytes
                $0.maxRecordBytes = 10_000
            }
            let issue = try #require(found)
            #expect(issue.rule == .recordTooLong)
            #expect(issue.line == 3, "chunk size \(chunkBytes)")
            #expect(issue.file == input)
            #expect(issue.message.contains("longer than 10000 bytes"))
        }
    }

    @Test("a record of exactly the limit passes; one byte more fails")
    func exactlyTheLimit() throws {
        let text = "\(header)\n\(good)\n"
        let longest = max(header.utf8.count, good.utf8.count)
        let (passed, _) = try issue(for: text) { $0.maxRecordBytes = longest }
        #expect(passed == nil)
        let (failed, _) = try issue(for: text) { $0.maxRecordBytes = longest - 1 }
        #expect(failed?.rule == .recordTooLong)
    }

    @Test("the reader stops at the limit on a file without line ends, instead of reading it all")
    func readerStopsAtTheLimit() throws {
        let folder = try TemporaryFolder()
        let input = "\(folder.path)/one-line.csv"
        folder.write(input, [UInt8](repeating: UInt8(ascii: "x"), count: 4 << 20))
        let reader = try CSVChunkReader(path: input, chunkSize: 4096, hashing: false, maxRecordBytes: 65_536)
        var thrown: PredictionError?
        do { while try reader.next() != nil {} } catch { thrown = error }
        #expect(thrown?.issue?.rule == .recordTooLong)
        #expect(thrown?.issue?.line == 1)
        #expect(reader.bytesRead <= 65_536 + 2 * 4096)
    }

    @Test("a .csv.zst whose decompressed record is over the limit fails with its line")
    func compressedRecordTooLong() throws {
        let folder = try TemporaryFolder()
        let plain = folder.file("in.csv", "\(header)\n\(good)\n\(good)\n\(longRow(idBytes: 300_000))\n")
        try #require(system("zstd -q -c \(plain) > \(folder.path)/in.csv.zst") == 0)
        var options = testOptions()
        options.maxRecordBytes = 65_536
        options.chunkBytes = 4096
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: options)
        var thrown: PredictionError?
        do { _ = try predictor.predictCSV(input: "\(folder.path)/in.csv.zst", output: "\(folder.path)/out.csv") } catch {
            thrown = error
        }
        #expect(thrown?.issue?.rule == .recordTooLong)
        #expect(thrown?.issue?.line == 4)
    }

    @Test("a CSV header with more columns than the limit is refused; at the limit it is read")
    func csvColumns() throws {
        let text = "\(header)\n\(good)\n"  // 11 columns
        let (refused, input) = try issue(for: text) { $0.maxColumns = 10 }
        let found = try #require(refused)
        #expect(found.rule == .tooManyColumns)
        #expect(found.line == 1)
        #expect(
            found.description
                == "\(input):1: the input has 11 columns, more than the limit of 10; is this the right file? Raise limits.max_columns (--max-columns) if inputs this wide are expected [too-many-columns]"
        )
        let (passed, _) = try issue(for: text) { $0.maxColumns = 11 }
        #expect(passed == nil)
    }

    @Test("a Parquet file with more columns than the limit is refused, for predict and validate")
    func parquetColumns() throws {
        let folder = try TemporaryFolder()
        let input = Fixtures.folder + "/parquet/plain-v2-snappy.parquet"
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.maxColumns = 5 })
        for thrown in Self.failures(predictor, input: input, output: "\(folder.path)/out.csv") {
            #expect(thrown?.issue?.rule == .tooManyColumns)
            #expect(thrown?.issue?.message.hasPrefix("the input has 11 columns, more than the limit of 5") == true)
        }
        let wide = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.maxColumns = 11 })
        #expect(try wide.validateCSV(input: input).rowsRead > 0)
    }

    @Test("a header name that is not UTF-8 is spelt with \\xNN in messages and in the output header")
    func nonUTF8HeaderName() throws {
        let folder = try TemporaryFolder()
        let input = "\(folder.path)/latin1.csv"
        // An extra column named "caf\xE9" (Latin-1), echoed with the features.
        folder.write(input, Array("\(header),caf".utf8) + [0xE9] + Array("\n\(good),x\n".utf8))
        let predictor = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.includeFeatures = true })
        try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        let firstLine = try #require(folder.read("out.csv")?.split(separator: "\n").first)
        #expect(firstLine.hasSuffix(",caf\\xE9"))
        #expect(!firstLine.contains("\u{FFFD}"))

        // The same name when a feature is missing: shown once escaped, not twice, and never as U+FFFD.
        let missing = "\(folder.path)/missing.csv"
        folder.write(missing, Array("user_id,age,caf".utf8) + [0xE9] + Array("\n1,2,3\n".utf8))
        var thrown: PredictionError?
        do { _ = try predictor.validateCSV(input: missing) } catch { thrown = error }
        let message = try #require(thrown?.issue?.message)
        #expect(message.contains("(header has: user_id, age, caf\\xE9)"))
        #expect(!message.contains("\u{FFFD}"))
    }

    @Test("header parse errors show the field's bytes escaped and cut short")
    func headerParseErrors() throws {
        let junk = String(repeating: "\u{07}", count: 500)
        let (malformed, _) = try issue(for: "user_id,a\"\(junk)\"b\n1,2\n")
        let found = try #require(malformed)
        #expect(found.rule == .malformedQuoting)
        #expect(found.value?.hasPrefix("a\"\\x07\\x07") == true)
        #expect(found.message.contains("\\x07"))
        #expect(found.message.utf8.count < 600)
        #expect(!found.description.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    @Test("duplicate-id warnings name the id column escaped")
    func duplicateIDColumnEscaped() throws {
        let folder = try TemporaryFolder()
        let name = "id\u{1B}[2J"
        let input = folder.file("dup.csv", "\(name)," + Fixtures.featureColumns.joined(separator: ",") + "\n\(good)\n\(good)\n")
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.idColumn = name })
        let report = try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        #expect(report.duplicateIDs == 1)
        let warning = try #require(report.warningSample.first)
        #expect(warning.rule == .duplicateID)
        #expect(warning.columnName == "id\\x1B[2J")
    }

    @Test("a binary file dropped as CSV gives one short, escaped message")
    func binaryAsCSV() throws {
        let folder = try TemporaryFolder()
        let input = "\(folder.path)/ls.csv"
        try #require(system("cp /bin/ls \(input)") == 0)
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions())
        for thrown in Self.failures(predictor, input: input, output: "\(folder.path)/out.csv") {
            let text = try #require(thrown).description
            #expect(text.utf8.count < 1500)
            #expect(!text.contains("\u{FFFD}"))
            #expect(!text.unicodeScalars.contains { $0.properties.generalCategory == .control })
        }
    }
}
