import Archive
import Files
import FoundationEssentials
import Glibc
import Testing

/// A job laid out in a temporary folder: an input, two outputs, and a request that files them.
struct SampleJob {
    let folder: TemporaryFolder
    let root: String
    let inputPath: String
    var request: JobArchiveRequest

    init(
        compression: Compression,
        inputText: String = Fixture.csv(rows: 500),
        jobID: String = "0123456789ab",
        startedAt: Double = 1_795_000_000.25,
        root: String? = nil
    ) {
        folder = TemporaryFolder()
        self.root = root ?? folder.join("archive/default")
        inputPath = folder.join("batch_input.csv")
        Fixture.write(inputText, to: inputPath)
        request = JobArchiveRequest(
            pipeline: "default",
            jobID: jobID,
            inputPath: inputPath,
            inputName: "batch_input.csv",
            startedAt: startedAt,
            finishedAt: startedAt + 12.5,
            compression: compression,
            outputs: [:],
            documents: ["report.txt": Array("REPORT\n".utf8), "report.json": Array("{\"rows\": 500}\n".utf8)],
            model: ArchiveManifest.Model(
                path: "/var/lib/inferwatcher/models/model.onnx", sha256: String(repeating: "ab", count: 32)),
            rows: ArchiveManifest.RowCounts(read: 500, predicted: 498, rejected: 2),
            softwareVersion: "1.2.3",
            host: "test-host"
        )
        writeOutputs()
    }

    /// (Re)creates the job's temporary output files, as the job runner would.
    mutating func writeOutputs() {
        let predictions = folder.join("predictions.tmp")
        let rejected = folder.join("rejected.tmp")
        Fixture.write("user_id,prediction_score,prediction_class\nu1,0.500000,1\n", to: predictions)
        Fixture.write("line,reason\n3,bad number\n", to: rejected)
        request.outputs = ["predictions.csv": predictions, "rejected.csv": rejected]
    }

    /// The local date of the start, by `date(1)`, independent of the code under test.
    var expectedDateFolder: String { Shell.output("date -d @\(Int(request.startedAt)) +%F") }

    var expectedFolder: String { "\(root)/\(expectedDateFolder)/batch_input-\(request.jobID)" }
}

@Suite("ArchiveWriter")
struct ArchiveWriterTests {
    @Test(
        "files a job with each compression: layout, checksums and the input byte for byte",
        arguments: Compression.allCases)
    func archivesEachCompression(compression: Compression) throws {
        let job = SampleJob(compression: compression)
        let outputSources = job.request.outputs
        let predictionsSHA = Shell.sha256(ofFile: outputSources["predictions.csv"]!)

        let outcome = try ArchiveWriter(root: job.root).archive(job.request)

        guard case .archived(let archived) = outcome else {
            Issue.record("expected .archived, got \(outcome)")
            return
        }
        #expect(archived.folder == job.expectedFolder)
        #expect(
            Fixture.list(archived.folder)
                == [
                    "manifest.json", "predictions.csv", "rejected.csv", "report.json", "report.txt",
                    compression.storedInputName,
                ]
                .sorted()
        )
        // Nothing but the job's folder in the date folder: the staging folder was renamed, not copied.
        #expect(Fixture.list("\(job.root)/\(job.expectedDateFolder)") == ["batch_input-\(job.request.jobID)"])

        let manifest = archived.manifest
        let stored = "\(archived.folder)/\(compression.storedInputName)"
        #expect(manifest.input.sha256 == Shell.sha256(ofFile: job.inputPath))
        #expect(manifest.input.size == Fixture.read(job.inputPath).count)
        #expect(manifest.input.stored.sha256 == Shell.sha256(ofFile: stored))
        #expect(manifest.input.stored.size == Fixture.read(stored).count)
        #expect(manifest.input.stored.compression == compression.rawValue)
        let tool =
            switch compression {
            case .none: "cat"
            case .gzip: "gzip -dc"
            case .zstd: "zstd -q -dc"
            }
        // The stored input restores to exactly the bytes received.
        #expect(Shell.run("\(tool) \(Shell.quote(stored)) | cmp -s - \(Shell.quote(job.inputPath))").status == 0)
        if compression != .none {
            #expect(manifest.input.stored.size < manifest.input.size)
            #expect(Shell.run("\(tool.split(separator: " ")[0]) -t -q \(Shell.quote(stored)) 2>&1").status == 0)
        }
        for file in manifest.files {
            #expect(file.sha256 == Shell.sha256(ofFile: "\(archived.folder)/\(file.name)"), "\(file.name)")
            #expect(file.size == Fixture.read("\(archived.folder)/\(file.name)").count, "\(file.name)")
        }
        #expect(manifest.files.map(\.name) == ["predictions.csv", "rejected.csv", "report.json", "report.txt"])
        #expect(manifest.files.first { $0.name == "predictions.csv" }?.sha256 == predictionsSHA)

        // The outputs were taken over: their temporary names are gone.
        for source in outputSources.values { #expect(!Fixture.exists(source)) }
        // The input is the daemon's to remove; the archive only reads it.
        #expect(Fixture.exists(job.inputPath))
    }

    @Test(
        "an input received compressed or as Parquet is stored as received, whatever the pipeline's compression",
        arguments: [
            ("gzip -c", "batch.csv.gz", "input.csv.gz", "gzip"), ("zstd -q -c", "batch.csv.zst", "input.csv.zst", "zstd"),
            ("(printf PAR1; cat; printf PAR1)", "batch.parquet", "input.parquet", "none"),
        ])
    func storesCompressedInputsAsReceived(compressor: String, name: String, storedName: String, compression: String) throws {
        var job = SampleJob(compression: .zstd)
        let received = job.folder.join(name)
        #expect(Shell.run("\(compressor) < \(Shell.quote(job.inputPath)) > \(Shell.quote(received))").status == 0)
        job.request.inputPath = received
        job.request = JobArchiveRequest(
            pipeline: "default", jobID: job.request.jobID, inputPath: received, inputName: name,
            startedAt: job.request.startedAt, finishedAt: job.request.finishedAt, compression: .zstd,
            outputs: job.request.outputs, documents: job.request.documents, model: job.request.model, rows: job.request.rows,
            softwareVersion: "1.2.3", host: "test-host")
        guard case .archived(let archived) = try ArchiveWriter(root: job.root).archive(job.request) else {
            Issue.record("not archived")
            return
        }
        // The folder is named after the stem without .csv.gz / .csv.zst / .parquet.
        #expect(archived.folder.hasSuffix("/batch-\(job.request.jobID)"))
        let stored = "\(archived.folder)/\(storedName)"
        #expect(Shell.run("cmp -s \(Shell.quote(stored)) \(Shell.quote(received))").status == 0)
        #expect(archived.manifest.input.stored.name == storedName)
        #expect(archived.manifest.input.stored.compression == compression)
        #expect(archived.manifest.input.sha256 == Shell.sha256(ofFile: received))
        #expect(archived.manifest.input.stored.sha256 == archived.manifest.input.sha256)
        #expect(archived.manifest.input.name == name)
    }

    @Test("manifest.json decodes to what archive returned, with a fixed key order and RFC 3339 UTC times")
    func manifestContents() throws {
        let job = SampleJob(compression: .zstd, startedAt: 1_795_000_000.25)
        let outcome = try ArchiveWriter(root: job.root).archive(job.request)
        let folder = outcome.folder
        guard case .archived(let archived) = outcome else {
            Issue.record("expected .archived")
            return
        }
        let bytes = Fixture.read("\(folder)/manifest.json")
        let decoded = try JSONDecoder().decode(ArchiveManifest.self, from: Data(bytes))
        #expect(decoded == archived.manifest)

        #expect(decoded.format == ArchiveManifest.currentFormat)
        #expect(decoded.jobID == "0123456789ab")
        #expect(decoded.pipeline == "default")
        #expect(decoded.startedAt == Shell.output("date -u -d @1795000000 +%Y-%m-%dT%H:%M:%S") + ".250000Z")
        #expect(decoded.finishedAt == Shell.output("date -u -d @1795000012 +%Y-%m-%dT%H:%M:%S") + ".750000Z")
        #expect(decoded.durationSeconds == 12.5)
        #expect(decoded.model.path == "/var/lib/inferwatcher/models/model.onnx")
        #expect(decoded.rows == ArchiveManifest.RowCounts(read: 500, predicted: 498, rejected: 2))
        #expect(decoded.input.name == "batch_input.csv")
        #expect(decoded.softwareVersion == "1.2.3")
        #expect(decoded.host == "test-host")

        let text = String(decoding: bytes, as: UTF8.self)
        let topLevelKeys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map {
            String($0.dropFirst(3).prefix { $0 != "\"" })
        }
        #expect(
            topLevelKeys == [
                "format", "job_id", "pipeline", "started_at", "finished_at", "duration_seconds", "model", "input",
                "rows", "files", "software_version", "host",
            ]
        )
        #expect(text.contains("\"duration_seconds\": 12.5,"))
        #expect(text.hasSuffix("}\n"))
    }

    @Test("times are rounded to the microsecond, carrying into the next second")
    func timeRounding() throws {
        var job = SampleJob(compression: .none, startedAt: 1_795_000_000.999_999_9)
        job.request.finishedAt = 1_795_000_000.999_999_9 + 0.000_000_4
        #expect(ArchiveWriter(root: job.root).folder(for: job.request) == job.expectedFolder)
        guard case .archived(let archived) = try ArchiveWriter(root: job.root).archive(job.request) else {
            Issue.record("expected .archived")
            return
        }
        let next = Shell.output("date -u -d @1795000001 +%Y-%m-%dT%H:%M:%S") + ".000000Z"
        #expect(archived.manifest.startedAt == next)
        #expect(archived.manifest.finishedAt == next)
        #expect(archived.manifest.durationSeconds == 0)
    }

    @Test("the same job gives the same manifest, byte for byte")
    func deterministicManifest() throws {
        var first = SampleJob(compression: .gzip)
        let a = try ArchiveWriter(root: first.root).archive(first.request).folder
        first.writeOutputs()
        let b = try ArchiveWriter(root: first.folder.join("other-archive")).archive(first.request).folder
        #expect(Fixture.read("\(a)/manifest.json") == Fixture.read("\(b)/manifest.json"))
        // gzip output is deterministic too (no name or time in the header).
        #expect(Fixture.read("\(a)/input.csv.gz") == Fixture.read("\(b)/input.csv.gz"))
    }

    @Test("names with quotes, backslashes, control characters and non-ASCII survive the JSON round trip")
    func jsonEscaping() throws {
        var job = SampleJob(compression: .none)
        job.request.inputName = "we\"ird\\na\tme\u{1}é 🚀.csv"
        job.request.stem = "weird"
        job.request.pipeline = "line\nbreak"
        let outcome = try ArchiveWriter(root: job.root).archive(job.request)
        let decoded = try JSONDecoder().decode(
            ArchiveManifest.self,
            from: Data(Fixture.read("\(outcome.folder)/manifest.json"))
        )
        #expect(decoded.input.name == job.request.inputName)
        #expect(decoded.pipeline == "line\nbreak")
    }

    @Test("an empty input and a job with no outputs or documents are archived")
    func emptyInput() throws {
        var job = SampleJob(compression: .zstd, inputText: "")
        job.request.outputs = [:]
        job.request.documents = [:]
        let outcome = try ArchiveWriter(root: job.root).archive(job.request)
        guard case .archived(let archived) = outcome else {
            Issue.record("expected .archived")
            return
        }
        #expect(archived.manifest.input.size == 0)
        #expect(archived.manifest.input.sha256 == Shell.output("printf '' | sha256sum").prefix(64).description)
        #expect(archived.manifest.files.isEmpty)
        #expect(Shell.output("zstd -q -dc \(Shell.quote(archived.folder))/input.csv.zst | wc -c") == "0")
    }

    @Test("outputs on another file system are copied, then removed")
    func outputsAcrossFileSystems() throws {
        // /dev/shm is a tmpfs, so linking from there into /tmp fails with EXDEV and the writer copies.
        guard Fixture.exists("/dev/shm") else { return }
        var job = SampleJob(compression: .none)
        let shmPath = "/dev/shm/archive-tests-\(getpid())-predictions.csv"
        Fixture.write("id,score\n1,0.5\n", to: shmPath)
        defer { unlink(shmPath) }
        job.request.outputs = ["predictions.csv": shmPath]
        let outcome = try ArchiveWriter(root: job.root).archive(job.request)
        #expect(
            String(decoding: Fixture.read("\(outcome.folder)/predictions.csv"), as: UTF8.self) == "id,score\n1,0.5\n")
        #expect(!Fixture.exists(shmPath))
    }

    @Test(
        "bad requests are refused before anything is written",
        arguments: [
            "job id with a slash", "empty job id", "hidden stem", "stem with a slash", "output named manifest.json",
            "output named like the input", "hidden output", "output with a slash", "name given twice", "infinite time",
        ]
    )
    func invalidRequests(label: String) {
        var job = SampleJob(compression: .zstd)
        switch label {
        case "job id with a slash": job.request.jobID = "../x"
        case "empty job id": job.request.jobID = ""
        case "hidden stem": job.request.stem = ".hidden"
        case "stem with a slash": job.request.stem = "a/b"
        case "output named manifest.json": job.request.documents["manifest.json"] = []
        case "output named like the input": job.request.documents["input.csv.zst"] = []
        case "hidden output": job.request.documents[".report.txt"] = []
        case "output with a slash": job.request.documents["sub/report.txt"] = []
        case "name given twice": job.request.documents["predictions.csv"] = []
        case "infinite time": job.request.finishedAt = .infinity
        default: Issue.record("unknown case \(label)")
        }
        let error = #expect(throws: FileError.self, "\(label)") {
            try ArchiveWriter(root: job.root).archive(job.request)
        }
        #expect(error?.code == .invalid, "\(label): \(String(describing: error))")
        #expect(!Fixture.exists(job.root), "\(label): nothing may be created")
        for source in job.request.outputs.values {
            #expect(Fixture.exists(source), "\(label): outputs stay for a retry")
        }
    }

    @Test("a missing output fails the job, leaves no folder, and leaves the other outputs in place")
    func missingOutput() throws {
        var job = SampleJob(compression: .zstd)
        job.request.outputs["scores.csv"] = job.folder.join("does-not-exist.csv")
        let error = #expect(throws: FileError.self) { try ArchiveWriter(root: job.root).archive(job.request) }
        #expect(error?.code == .notFound)
        #expect(error?.description.contains("does-not-exist.csv") == true)
        #expect(Fixture.list("\(job.root)/\(job.expectedDateFolder)").isEmpty)
        #expect(Fixture.exists(job.request.outputs["predictions.csv"]!))
        #expect(Fixture.exists(job.request.outputs["rejected.csv"]!))
    }

    @Test("a missing input is reported with its path")
    func missingInput() {
        var job = SampleJob(compression: .gzip)
        job.request.inputPath = job.folder.join("gone.csv")
        let error = #expect(throws: FileError.self) { try ArchiveWriter(root: job.root).archive(job.request) }
        #expect(error?.code == .notFound)
        #expect(error?.path == job.folder.join("gone.csv"))
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test("the stem defaults to the input name without its last extension")
    func stems() {
        #expect(JobArchiveRequest.stem(ofInputName: "batch_input.csv") == "batch_input")
        #expect(JobArchiveRequest.stem(ofInputName: "a.b.csv") == "a.b")
        #expect(JobArchiveRequest.stem(ofInputName: "noextension") == "noextension")
    }

    @Test("a very long stem is cut so the folder name fits NAME_MAX")
    func longStem() throws {
        var job = SampleJob(compression: .none)
        job.request.stem = String(repeating: "é", count: 150)  // 300 bytes
        let outcome = try ArchiveWriter(root: job.root).archive(job.request)
        let name = String(outcome.folder.split(separator: "/").last!)
        #expect(name.utf8.count <= 255)
        #expect(name.hasSuffix("-\(job.request.jobID)"))
        #expect(name.hasPrefix(String(repeating: "é", count: 100)))
    }
}

@Suite("Crash safety")
struct CrashSafetyTests {
    @Test("a staging folder left by a crash is removed at start, and the job then archives")
    func abandonedStaging() throws {
        let job = SampleJob(compression: .zstd)
        let dateFolder = "\(job.root)/\(job.expectedDateFolder)"
        let staging = "\(dateFolder)/.batch_input-\(job.request.jobID).staging"
        // What a crash half way through leaves: some files, no manifest, no final folder.
        _ = Shell.output("mkdir -p \(Shell.quote(staging)) && printf partial > \(Shell.quote(staging))/input.csv.zst")
        // Leftovers in other date folders and of a crashed prune; unrelated hidden files stay.
        let otherStaging = "\(job.root)/2020-01-01/.other-aaaaaaaaaaaa.staging"
        let pruning = "\(job.root)/.2019-05-05.pruning"
        _ = Shell.output(
            "mkdir -p \(Shell.quote(otherStaging))/x \(Shell.quote(pruning))/job && touch \(Shell.quote(dateFolder))/.keep"
        )

        let removed = try ArchiveWriter.removeAbandonedStaging(root: job.root)

        #expect(Set(removed) == [staging, otherStaging, pruning])
        #expect(!Fixture.exists(staging) && !Fixture.exists(otherStaging) && !Fixture.exists(pruning))
        #expect(Fixture.exists("\(dateFolder)/.keep"))
        #expect(Fixture.exists("\(job.root)/2020-01-01"))

        let outcome = try ArchiveWriter(root: job.root).archive(job.request)
        guard case .archived = outcome else {
            Issue.record("expected .archived, got \(outcome)")
            return
        }
        #expect(Fixture.list(outcome.folder).contains("manifest.json"))
    }

    @Test("a leftover staging folder of the same job is replaced even without the start-up sweep")
    func stagingReplaced() throws {
        let job = SampleJob(compression: .none)
        let staging = "\(job.root)/\(job.expectedDateFolder)/.batch_input-\(job.request.jobID).staging"
        _ = Shell.output("mkdir -p \(Shell.quote(staging)) && printf stale > \(Shell.quote(staging))/stale.txt")
        let outcome = try ArchiveWriter(root: job.root).archive(job.request)
        #expect(!Fixture.exists(staging))
        #expect(!Fixture.list(outcome.folder).contains("stale.txt"))
    }

    @Test("removeAbandonedStaging on a missing root does nothing")
    func sweepMissingRoot() throws {
        let folder = TemporaryFolder()
        #expect(try ArchiveWriter.removeAbandonedStaging(root: folder.join("nope")).isEmpty)
    }

    @Test("a job already archived is reported, not overwritten, and its new outputs are left to the caller")
    func alreadyArchived() throws {
        var job = SampleJob(compression: .zstd)
        let writer = ArchiveWriter(root: job.root)
        let first = try writer.archive(job.request)
        let manifestBefore = Fixture.read("\(first.folder)/manifest.json")

        job.writeOutputs()
        job.request.finishedAt += 100  // a re-run: different times, same job id
        let second = try writer.archive(job.request)

        guard case .alreadyArchived(let folder) = second else {
            Issue.record("expected .alreadyArchived, got \(second)")
            return
        }
        #expect(folder == first.folder)
        #expect(Fixture.read("\(folder)/manifest.json") == manifestBefore)
        for source in job.request.outputs.values { #expect(Fixture.exists(source)) }
        #expect(Fixture.list("\(job.root)/\(job.expectedDateFolder)") == ["batch_input-\(job.request.jobID)"])
    }
}

@Suite("Large inputs", .serialized)
struct LargeInputTests {
    @Test("a 50 MB input streams through each compression with flat memory", arguments: Compression.allCases)
    func largeInput(compression: Compression) throws {
        let job = SampleJob(compression: compression)
        Fixture.writeLargeCSV(to: job.inputPath, megabytes: 50)
        let canMeasure = PeakMemory.reset()
        let before = PeakMemory.highWaterKB()

        let outcome = try ArchiveWriter(root: job.root).archive(job.request)

        let growthMB = (PeakMemory.highWaterKB() - before) / 1024
        if canMeasure {
            // Reading the input whole would add at least 50 MB; streaming needs a few buffers.
            #expect(growthMB < 25, "peak RSS grew by \(growthMB) MB while archiving 50 MB")
        }
        guard case .archived(let archived) = outcome else {
            Issue.record("expected .archived")
            return
        }
        let tool =
            switch compression {
            case .none: "cat"
            case .gzip: "gzip -dc"
            case .zstd: "zstd -q -dc"
            }
        let stored = "\(archived.folder)/\(compression.storedInputName)"
        #expect(archived.manifest.input.size >= 50 << 20)
        #expect(archived.manifest.input.sha256 == Shell.sha256(ofFile: job.inputPath))
        #expect(Shell.sha256(decompressing: stored, with: tool) == archived.manifest.input.sha256)
        #expect(Shell.sha256(ofFile: stored) == archived.manifest.input.stored.sha256)
        if compression == .zstd {
            // The frame header records the size, so `zstd -l` can show it without decompressing.
            #expect(Shell.output("zstd -lv \(Shell.quote(stored)) 2>/dev/null").contains("Decompressed Size"))
        }
    }
}
