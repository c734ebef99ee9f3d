import Files
import Glibc
import Testing

@testable import Engine

/// `.csv.gz` and `.csv.zst` inputs, compressed by the real `gzip` and `zstd` tools.
@Suite("Compressed CSV input")
struct CompressedInputTests {
    /// Runs a shell command that must succeed (the compressors are the oracle, not our code).
    private func shell(_ command: String) throws {
        let status = system(command)
        try #require(status == 0, "`\(command)` failed with \(status)")
    }

    /// Predictions without the timestamp column, which differs from run to run.
    private func predictions(_ folder: TemporaryFolder, _ input: String, options: PredictionOptions = testOptions()) throws -> [String] {
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: options)
        try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        return folder.read("out.csv")!.split(separator: "\n").map { $0.split(separator: ",").prefix(3).joined(separator: ",") }
    }

    @Test("gzip, multi-member gzip, zstd and multi-frame zstd give the plain file's predictions")
    func sameAsPlain() throws {
        let folder = try TemporaryFolder()
        let plain = folder.file("in.csv", SampleRows.csv(rows: 5_000, seed: 4))
        let p = folder.path
        try shell("gzip -c \(plain) > \(p)/a.csv.gz && zstd -q -c \(plain) > \(p)/a.csv.zst")
        try shell("(head -c 100000 \(plain) | gzip -c; tail -c +100001 \(plain) | gzip -1 -c) > \(p)/multi.csv.gz")
        try shell("(head -c 70000 \(plain) | zstd -q -c; tail -c +70001 \(plain) | zstd -q -c) > \(p)/multi.csv.zst")
        // Whatever the names say, the encoding is told by the first bytes.
        try shell("cp \(p)/a.csv.zst \(p)/named-plain.csv")
        // Small chunks make record boundaries fall inside decompressed blocks.
        let options = testOptions { $0.chunkBytes = 10_000 }
        let expected = try predictions(folder, plain, options: options)
        #expect(expected.count == 5_001)
        for name in ["a.csv.gz", "a.csv.zst", "multi.csv.gz", "multi.csv.zst", "named-plain.csv"] {
            #expect(try predictions(folder, "\(p)/\(name)", options: options) == expected, "\(name)")
        }
    }

    @Test("the report's hash and size are of the received (compressed) bytes")
    func digestOfReceivedBytes() throws {
        let folder = try TemporaryFolder()
        let plain = folder.file("in.csv", SampleRows.csv(rows: 100, seed: 5))
        try shell("zstd -q -c \(plain) > \(folder.path)/in.csv.zst")
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions())
        let report = try predictor.predictCSV(input: "\(folder.path)/in.csv.zst", output: "\(folder.path)/out.csv")
        let digest = try FileDigest(of: "\(folder.path)/in.csv.zst")
        #expect(report.inputSHA256 == digest.sha256)
        #expect(try InputEncoding.of(path: "\(folder.path)/in.csv.zst") == .zstd)
        #expect(try InputEncoding.of(path: plain) == .plain)
    }

    @Test("a bad row in a compressed file is rejected with the line of the decompressed text")
    func rejectionLines() throws {
        let folder = try TemporaryFolder()
        var text = SampleRows.csv(rows: 3_000, seed: 6)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[2_500] = lines[2_500].replacingFirstField(after: 3, with: "abc")
        text = lines.joined(separator: "\n")
        let plain = folder.file("in.csv", text)
        try shell("gzip -c \(plain) > \(folder.path)/in.csv.gz")
        let predictor = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.policy = .lenient(maxRejectedFraction: 1) })
        let report = try predictor.predictCSV(
            input: "\(folder.path)/in.csv.gz", output: "\(folder.path)/out.csv", rejected: "\(folder.path)/rejected.csv")
        #expect(report.rowsRejected == 1)
        let issue = try #require(report.rejectedSample.first)
        #expect(issue.line == 2_501)
        #expect(issue.column == 4)
        #expect(issue.file.hasSuffix("in.csv.gz"))
    }

    @Test("truncated and corrupt streams fail the file with the reason and the byte offset")
    func corruptStreams() throws {
        let folder = try TemporaryFolder()
        let plain = folder.file("in.csv", SampleRows.csv(rows: 20_000, seed: 7))
        let p = folder.path
        try shell("gzip -c \(plain) | head -c 50000 > \(p)/cut.csv.gz && zstd -q -c \(plain) | head -c 50000 > \(p)/cut.csv.zst")
        try shell("(gzip -c \(plain); printf 'garbage') > \(p)/tail.csv.gz")
        // A flipped byte inside the deflate data of the first block.
        try shell(
            "gzip -c \(plain) > \(p)/bad.csv.gz && printf '\\377\\377\\377\\377' | dd of=\(p)/bad.csv.gz bs=1 seek=200 conv=notrunc 2>/dev/null"
        )
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions())
        func failure(_ name: String) -> String {
            do {
                try predictor.predictCSV(input: "\(p)/\(name)", output: "\(p)/out.csv")
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(failure("cut.csv.gz").contains("gzip member is cut short: the input ends at byte 50000"))
        #expect(failure("cut.csv.zst").contains("zstd frame is cut short: the input ends at byte 50000"))
        let size = try FileDigest(of: "\(p)/tail.csv.gz").size
        #expect(failure("tail.csv.gz").contains("corrupt at byte \(size - 7): bytes after the last gzip member"))
        let bad = failure("bad.csv.gz")
        #expect(bad.contains("the gzip stream is corrupt at byte "), "\(bad)")
        #expect(bad.contains("bad.csv.gz"))
    }

    @Test("a Parquet file cannot come through standard input")
    func parquetOnStandardInput() throws {
        let folder = try TemporaryFolder()
        let fake = folder.file("x.parquet", "PAR1 not really")
        #expect(try InputEncoding.of(path: fake) == .parquet)
        let decoder = try InputDecoder(path: fake, hashing: false)
        var buffer: [UInt8] = []
        #expect(throws: FileError.self) { _ = try decoder.read(into: &buffer, count: 100) }
    }
}

extension String {
    /// The line with field `index` (0-based) replaced.
    fileprivate func replacingFirstField(after index: Int, with value: String) -> String {
        var fields = split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[index] = value
        return fields.joined(separator: ",")
    }
}
