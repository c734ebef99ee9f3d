import Foundation
import Testing

/// The daemon as a subprocess against temporary folders, with real inotify.
@Suite("Daemon: spool to archive", .serialized)
struct SpoolIntegrationTests {
    @Test("a file renamed into incoming/ is archived once with its outputs")
    func renamedIn() throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        try daemon.start()
        try daemon.drop("batch_input.csv", sampleCSV(rows: 1000))
        waitUntil(20, "the job to be archived") { daemon.archivedJobs().count == 1 && daemon.files(in: daemon.processing).isEmpty }
        let jobs = daemon.archivedJobs()
        #expect(jobs.count == 1)
        let folder = try #require(jobs.first)
        #expect(URL(fileURLWithPath: folder).lastPathComponent.hasPrefix("batch_input-"))
        #expect(
            daemon.files(in: folder) == ["input.csv.zst", "manifest.json", "predictions.csv", "report.html", "report.json", "report.txt"])
        let predictions = try String(contentsOfFile: folder + "/predictions.csv", encoding: .utf8)
        #expect(predictions.split(separator: "\n").count == 1001)
        #expect(predictions.hasPrefix("user_id,prediction_score,prediction_class,timestamp,age,"))
        let report = try String(contentsOfFile: folder + "/report.txt", encoding: .utf8)
        #expect(report.contains("Total Predictions: 1,000"))
        // The engine doesn't hash the input again: report.json carries the job's hash, which must
        // be the one the archive computed on its own.
        func inputSHA256(_ name: String) throws -> String? {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))) as? [String: Any]
            return (json?["input"] as? [String: Any])?["sha256"] as? String
        }
        let hash = try inputSHA256("report.json")
        #expect(hash?.count == 64)
        #expect(hash == (try inputSHA256("manifest.json")))
        #expect(daemon.files(in: daemon.incoming).isEmpty)
        #expect(daemon.stop() == 0)
        #expect(daemon.log.contains("job succeeded"))
    }

    @Test(
        "tree models: a file scored by LightGBM and one by a scikit-learn model with string labels are archived with their reports",
        arguments: [("lgbm_binary", "Positive: "), ("gb_classifier", "Positive (stay): ")])
    func treeModels(_ model: String, _ positiveLine: String) throws {
        let daemon = try DaemonHarness()
        try daemon.configure(model: Repository.root + "/Tests/EngineTests/Fixtures/trees/\(model).onnx")
        try daemon.start()
        // The last row lacks its income: a tree model takes it as missing, not as a rejection.
        try daemon.drop("scored_by_\(model).csv", sampleCSV(rows: 500) + "501,30,,600,10,100,55.50,1,0,2,3\n")
        waitUntil(20, "the job to be archived") { daemon.archivedJobs().count == 1 && daemon.files(in: daemon.processing).isEmpty }
        let folder = try #require(daemon.archivedJobs().first)
        #expect(
            daemon.files(in: folder) == ["input.csv.zst", "manifest.json", "predictions.csv", "report.html", "report.json", "report.txt"])
        let predictions = try String(contentsOfFile: folder + "/predictions.csv", encoding: .utf8).split(separator: "\n")
        #expect(predictions.count == 502)
        let labels = Set(predictions.dropFirst().map { $0.split(separator: ",")[2] })
        #expect(labels.isSubset(of: model == "gb_classifier" ? ["churn", "stay"] : ["0", "1"]))
        #expect(predictions.last?.hasPrefix("501,") == true)
        let report = try String(contentsOfFile: folder + "/report.txt", encoding: .utf8)
        #expect(report.contains("Total Predictions: 501"))
        #expect(report.contains(positiveLine))
        #expect(daemon.stop() == 0)
    }

    @Test(".csv.gz, .csv.zst and .parquet drops are archived as received; truncated ones are quarantined with the reason")
    func compressedDrops() throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        try daemon.start()
        let plain = daemon.root + "/plain.csv"
        try sampleCSV(rows: 2000).write(toFile: plain, atomically: false, encoding: .utf8)
        // A Parquet file of the sample features (written by pyarrow: Tests/EngineTests/Fixtures).
        let parquet = Repository.root + "/Tests/EngineTests/Fixtures/parquet/dictionary-v1-zstd.parquet"
        for (name, command) in [
            ("gz_input.csv.gz", "gzip -c"), ("zst_input.csv.zst", "zstd -q -c"), ("cut.csv.gz", "gzip -c | head -c 3000"),
            ("pq_input.parquet", "cat \(parquet)"), ("cut.parquet", "(head -c 5000 \(parquet); tail -c 100 \(parquet))"),
        ] {
            let staging = daemon.root + "/" + name
            #expect(system("(\(command)) < \(plain) > \(staging)") == 0)
            try FileManager.default.moveItem(atPath: staging, toPath: daemon.incoming + "/" + name)
        }
        waitUntil(30, "three jobs archived and two quarantined") {
            daemon.archivedJobs().count == 3 && daemon.files(in: daemon.failed).count == 6
        }
        for (stem, stored) in [("gz_input", "input.csv.gz"), ("zst_input", "input.csv.zst"), ("pq_input", "input.parquet")] {
            let folder = try #require(daemon.archivedJobs().first { $0.contains("/\(stem)-") })
            #expect(
                daemon.files(in: folder)
                    == [stored, "manifest.json", "predictions.csv", "report.html", "report.json", "report.txt"].sorted())
            let predictions = try String(contentsOfFile: folder + "/predictions.csv", encoding: .utf8)
            #expect(predictions.split(separator: "\n").count == 2001)
            let report = try String(contentsOfFile: folder + "/report.txt", encoding: .utf8)
            #expect(report.contains("Total Predictions: 2,000"))
        }
        let parquetReason = try String(contentsOfFile: daemon.failed + "/cut.parquet.error.txt", encoding: .utf8)
        #expect(parquetReason.contains("cut.parquet"), "\(parquetReason)")
        let reason = try String(contentsOfFile: daemon.failed + "/cut.csv.gz.error.txt", encoding: .utf8)
        #expect(reason.contains("the gzip member is cut short: the input ends at byte 3000"), "\(reason)")
        // A corrupt stream is not retried: one attempt, then quarantine.
        let attempts = daemon.log.split(separator: "\n").filter { $0.contains("iw.input=cut.csv.gz") && $0.contains("job started") }
        #expect(attempts.count == 1)
        daemon.stop()
    }

    @Test("a file written slowly in place is processed once, only when complete")
    func slowWriter() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("settle: 1500ms")
        try daemon.start()
        let text = sampleCSV(rows: 2000)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let path = daemon.incoming + "/slow.csv"
        // One open(2) for the whole write, as a slow producer does: the only IN_CLOSE_WRITE comes at the end.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(fd >= 0)
        // ~5 s of writing: 10 pieces, 0.5 s apart, each a separate write; the file stays open.
        let pieces = 10
        let per = (lines.count + pieces - 1) / pieces
        for piece in 0..<pieces {
            let chunk = lines[min(piece * per, lines.count)..<min((piece + 1) * per, lines.count)]
            var text = chunk.joined(separator: "\n")
            if (piece + 1) * per < lines.count { text += "\n" }
            #expect(text.utf8.withContiguousStorageIfAvailable { write(fd, $0.baseAddress, $0.count) } == text.utf8.count)
            usleep(500_000)
            #expect(daemon.archivedJobs().isEmpty, "taken before the writer finished (piece \(piece))")
        }
        close(fd)
        waitUntil(20, "the slow file to be archived") { daemon.archivedJobs().count == 1 }
        usleep(500_000)
        let jobs = daemon.archivedJobs()
        #expect(jobs.count == 1)
        let predictions = try String(contentsOfFile: jobs[0] + "/predictions.csv", encoding: .utf8)
        #expect(predictions.split(separator: "\n").count == 2001)
        daemon.stop()
    }

    @Test(".part and hidden files are ignored until renamed; symlinks and FIFOs are ignored with a warning")
    func ignoredNames() throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        try daemon.start()
        let csv = sampleCSV(rows: 10)
        try csv.write(toFile: daemon.incoming + "/upload.csv.part", atomically: false, encoding: .utf8)
        try csv.write(toFile: daemon.incoming + "/.hidden.csv", atomically: false, encoding: .utf8)
        try csv.write(toFile: daemon.root + "/target.csv", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: daemon.incoming + "/link.csv", withDestinationPath: daemon.root + "/target.csv")
        #expect(mkfifo(daemon.incoming + "/pipe.csv", 0o644) == 0)
        // A real file as a marker: once it is archived, the others had their chance too.
        try daemon.drop("marker.csv", csv)
        waitUntil(20, "the marker to be archived") { daemon.archivedJobs().count == 1 }
        usleep(800_000)
        #expect(daemon.archivedJobs().count == 1)
        #expect(daemon.files(in: daemon.incoming) == [".hidden.csv", "link.csv", "pipe.csv", "upload.csv.part"])
        try FileManager.default.moveItem(atPath: daemon.incoming + "/upload.csv.part", toPath: daemon.incoming + "/upload.csv")
        waitUntil(20, "the renamed upload to be archived") { daemon.archivedJobs().count == 2 }
        daemon.stop()
        let log = daemon.log
        #expect(log.contains("ignoring link.csv in incoming/: not a regular file (symlink)"))
        #expect(log.contains("ignoring pipe.csv in incoming/: not a regular file (fifo)"))
        #expect(log.components(separatedBy: "ignoring link.csv").count == 2, "warned more than once")
    }

    @Test("500 files dropped at once are each archived exactly once")
    func burst() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("max_parallel_jobs: 2\ncompression: none\nsettle: 200ms")
        try daemon.start()
        let staging = daemon.root + "/burst"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        for index in 0..<500 {
            try sampleCSV(rows: 5, seed: index).write(toFile: "\(staging)/f\(index).csv", atomically: false, encoding: .utf8)
        }
        for index in 0..<500 {
            try FileManager.default.moveItem(atPath: "\(staging)/f\(index).csv", toPath: daemon.incoming + "/f\(index).csv")
        }
        waitUntil(240, "500 jobs to be archived") { daemon.archivedJobs().count >= 500 && daemon.files(in: daemon.processing).isEmpty }
        let names = daemon.archivedJobs().map { URL(fileURLWithPath: $0).lastPathComponent.split(separator: "-").first! }
        #expect(names.count == 500)
        #expect(Set(names).count == 500)
        #expect(daemon.files(in: daemon.incoming).isEmpty)
        #expect(daemon.files(in: daemon.failed).isEmpty)
        daemon.stop()
    }

    @Test("a bad file goes to failed/ with its reason and the next good file is still processed")
    func badFile() throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        try daemon.start()
        try daemon.drop("bad.csv", sampleCSV(rows: 100, badLine: 51))
        waitUntil(20, "bad.csv to be quarantined") { daemon.files(in: daemon.failed).count == 3 }
        #expect(daemon.files(in: daemon.failed) == ["bad.csv", "bad.csv.error.json", "bad.csv.error.txt"])
        let reason = try String(contentsOfFile: daemon.failed + "/bad.csv.error.txt", encoding: .utf8)
        #expect(reason == "bad.csv:51:4: column 'credit_score' value \"abc\" is not a number [not-a-number]\n")
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: daemon.failed + "/bad.csv.error.json")))
            as! [String: Any]
        #expect(json["line"] as? Int == 51)
        #expect(json["column"] as? Int == 4)
        #expect(json["value"] as? String == "abc")
        #expect(json["rule"] as? String == "not-a-number")
        try daemon.drop("good.csv", sampleCSV(rows: 100))
        waitUntil(20, "good.csv to be archived") { daemon.archivedJobs().count == 1 }
        #expect(daemon.archivedJobs().first?.contains("/good-") == true)
        daemon.stop()
    }

    @Test("incoming/ deleted or replaced is recreated, watched again and logged")
    func incomingRecreated() throws {
        let daemon = try DaemonHarness()
        try daemon.configure()
        try daemon.start()
        try FileManager.default.removeItem(atPath: daemon.incoming)
        waitUntil(10, "incoming/ to be recreated") { FileManager.default.fileExists(atPath: daemon.incoming) }
        try daemon.drop("after.csv", sampleCSV(rows: 20))
        waitUntil(20, "after.csv to be archived") { daemon.archivedJobs().count == 1 }
        // Replaced by another folder renamed over it in one step (rename(2) replaces an empty folder).
        let other = daemon.root + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        #expect(daemon.files(in: daemon.incoming).isEmpty)
        #expect(rename(other, daemon.incoming) == 0)
        waitUntil(10, "the replacement to be watched") {
            daemon.log.components(separatedBy: "incoming/ was deleted or replaced").count >= 3
        }
        try daemon.drop("replaced.csv", sampleCSV(rows: 20))
        waitUntil(20, "replaced.csv to be archived") { daemon.archivedJobs().count == 2 }
        daemon.stop()
    }

    @Test("a reload changes the threshold for the next job")
    func reloadThreshold() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("threshold: 0.0")
        try daemon.start()
        try daemon.drop("first.csv", sampleCSV(rows: 200))
        waitUntil(20, "first.csv archived") { daemon.archivedJobs().count == 1 }
        try daemon.configure("threshold: 1.0")
        daemon.signal(SIGHUP)
        waitUntil(10, "the reload") { daemon.log.contains("configuration reloaded") }
        try daemon.drop("second.csv", sampleCSV(rows: 200))
        waitUntil(20, "second.csv archived") { daemon.archivedJobs().count == 2 }
        func classes(_ stem: String) throws -> Set<String> {
            let folder = try #require(daemon.archivedJobs().first { $0.contains("/\(stem)-") })
            let lines = try String(contentsOfFile: folder + "/predictions.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            return Set(lines.map { String($0.split(separator: ",")[2]) })
        }
        #expect(try classes("first") == ["1"])
        #expect(try classes("second").contains("0"))
        // With threshold 1.0 only a score of exactly 1 is class 1.
        let second = try #require(daemon.archivedJobs().first { $0.contains("/second-") })
        for line in try String(contentsOfFile: second + "/predictions.csv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            #expect(fields[2] == "0" || fields[1] == "1.000000")
        }
        daemon.stop()
    }
}
