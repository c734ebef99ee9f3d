import Archive
import Checksum
import Engine
import Files
import Glibc
import Logging
import OrderedJSON
import SystemPackage

/// How one attempt at a job ended.
enum JobOutcome: Sendable {
    /// Filed in the archive.
    case archived(folder: String, report: PredictionReport)
    /// An earlier attempt had already filed it (the daemon died before cleaning up).
    case alreadyArchived(folder: String)
    /// The same content was archived before and the pipeline skips duplicates.
    case skippedDuplicate(of: String)
    /// Moved to `failed/` with its reason.
    case quarantined(path: String, reason: String)
    /// A transient failure: try again at `retryAt`.
    case retryLater(reason: String, retryAt: UnixInstant)
    /// Stopped for shutdown; the file stays in `processing/` and is redone on start.
    case abandoned
}

/// Runs one claimed file through validate → predict → report → archive → clean up.
///
/// Runs on a thread of its own (``JobThread``: the work is blocking); shares nothing mutable with
/// the pipeline except through ``StatusBoard``, the ``ClaimLedger`` and the outcome it returns.
struct JobExecutor: Sendable {
    let pipeline: PipelineConfig
    let duplicates: DuplicateIndex
    let status: StatusBoard
    let ledger: ClaimLedger
    let fileSystem: any SpoolFileSystem
    let clock: any DaemonClock
    let logger: Logger
    /// True once the job should give up at the next chunk boundary (the stop timeout passed).
    let shouldStop: @Sendable () -> Bool
    /// Crash-test hook (``TestPausePoint``): stop dead at this point so a test can kill -9 here.
    var pausePoint: TestPausePoint? = TestPausePoint.fromEnvironment()

    /// The work folder for a job's outputs, inside the archive root (same file system: the
    /// archive hard-links them in).
    static func workFolder(archive: String) -> String { archive + "/.work" }

    func run(_ file: ClaimedFile) -> JobOutcome {
        let started = clock.now.unixSeconds
        let hash: String
        do { hash = try FileDigest(of: file.path).sha256 } catch  where error.code == .permissionDenied {
            // Not worth retrying: whoever dropped it must change its mode or owner and drop it again.
            let reason =
                "cannot read \(String(escaping: file.original.bytes)): \(error.reason); make it readable by the daemon's user "
                + "and move it back into incoming/"
            return failed(file, transient: false, reason: reason)
        } catch {
            return failed(file, transient: true, reason: error.description)
        }
        let jobID = JobID.make(contentSHA256: hash, arrivalNanoseconds: file.arrivalNanoseconds)
        var log = logger
        log[metadataKey: "iw.job"] = "\(jobID)"
        log[metadataKey: "iw.input"] = "\(file.originalName)"
        status.update(pipeline.name) {
            $0.running.removeAll { $0.input == file.originalName }
            $0.running.append(StatusBoard.RunningJob(jobID: jobID, input: file.originalName, startedAt: started, lastProgress: started))
        }

        if let existing = findArchivedFolder(jobID: jobID) {
            log.info("job already archived by an earlier run; cleaning up", metadata: .event(.jobSucceeded, ["iw.archive": "\(existing)"]))
            fileSystem.remove(file.path)
            ledger.forget(file)
            return .alreadyArchived(folder: existing)
        }
        log.info("job started", metadata: .event(.jobStarted, ["iw.attempt": "\(file.attempts + 1)"]))
        if let first = duplicates.lookup(hash) {
            log.notice("same content was archived before", metadata: ["iw.duplicate_of": "\(first)"])
            if pipeline.duplicates == .skip {
                fileSystem.remove(file.path)
                ledger.forget(file)
                return .skippedDuplicate(of: first)
            }
        }

        let work = Self.workFolder(archive: pipeline.archive) + "/" + jobID
        defer {
            fileSystem.removeTree(work)
            MallocTuning.returnFreeMemory()
        }
        let predictions = work + "/predictions.csv"
        let rejected = work + "/rejected.csv"
        var report: PredictionReport
        let modelSHA256: String
        do {
            try fileSystem.makeFolder(work)
            let predictor = try BatchPredictor(modelPath: pipeline.model, options: pipeline.predictionOptions)
            modelSHA256 = predictor.modelSHA256
            let pipelineName = pipeline.name
            let status = self.status
            let clock = self.clock
            report = try predictor.predictCSV(
                input: file.path, output: predictions, rejected: rejected,
                progress: { [pausePoint] progress in
                    pausePoint?.pauseIfAt(.midPredict, jobID: jobID)
                    status.update(pipelineName) { state in
                        guard let index = state.running.firstIndex(where: { $0.jobID == jobID }) else { return }
                        state.running[index].totalBytes = progress.totalBytes
                        state.running[index].bytesRead = progress.bytesRead
                        state.running[index].rowsRead = progress.rowsRead
                        state.running[index].rowsPerSecond = Double(progress.rowsRead) / max(progress.elapsedSeconds, 0.001)
                        state.running[index].lastProgress = clock.now.unixSeconds
                    }
                },
                shouldStop: shouldStop)
        } catch let error as PredictionError {
            switch error.code {
            case .cancelled:
                log.notice("job abandoned for shutdown; it stays in processing/ and is redone on start")
                return .abandoned
            case .validation, .usage, .malformedInput:
                return quarantineInvalid(file, jobID: jobID, error: error, log: log)
            default:
                return failed(file, jobID: jobID, transient: true, reason: error.description, log: log)
            }
        } catch {
            return failed(file, jobID: jobID, transient: true, reason: "\(error)", log: log)
        }

        report.inputSHA256 = hash  // of the same claimed file: the engine was asked not to hash it again
        pausePoint?.pauseIfAt(.afterPredict, jobID: jobID)
        var outputs = ["predictions.csv": predictions]
        if report.rowsRejected > 0 && fileSystem.exists(rejected) { outputs["rejected.csv"] = rejected }
        let request = JobArchiveRequest(
            pipeline: pipeline.name, jobID: jobID, inputPath: file.path, inputName: file.originalName, inputNameHex: file.originalHex,
            startedAt: started, finishedAt: clock.now.unixSeconds, compression: pipeline.compression, outputs: outputs,
            documents: [
                "report.txt": Array(report.text().utf8), "report.json": Array(report.json().utf8),
                "report.html": Array(ReportPage(report: report).html().utf8),
            ],
            model: ArchiveManifest.Model(path: pipeline.model, sha256: modelSHA256),
            rows: ArchiveManifest.RowCounts(read: report.rowsRead, predicted: report.rowsPredicted, rejected: report.rowsRejected),
            softwareVersion: SoftwareVersion.current)
        let folder: String
        do {
            folder = try ArchiveWriter(root: pipeline.archive).archive(request).folder
        } catch {
            return failed(file, jobID: jobID, transient: error.code != .invalid, reason: error.description, log: log)
        }
        pausePoint?.pauseIfAt(.afterArchive, jobID: jobID)
        do { try duplicates.record(hash, folder: folder) } catch {
            log.warning("could not record the content hash for duplicate detection: \(error.description)")
        }
        fileSystem.remove(file.path)
        ledger.forget(file)
        fileSystem.sync(folder: pipeline.processing)
        let duration = clock.now.unixSeconds - started
        log.info(
            "job succeeded: \(report.rowsPredicted) predicted, \(report.rowsRejected) rejected",
            metadata: .event(
                .jobSucceeded,
                [
                    "iw.archive": "\(folder)", "iw.rows": "\(report.rowsRead)", "iw.duration_ms": "\(Int(duration * 1000))",
                ]))
        if let drift = report.drift, drift.level == .alert {
            let names = drift.alerted.sorted { $0.psi > $1.psi }.map(\.name)
            log.warning(
                "drift above alert_psi \(drift.alertPSI): \(drift.summaryLine)",
                metadata: .event(
                    .driftAlert,
                    [
                        "iw.archive": "\(folder)", "iw.drift_features": "\(names.joined(separator: ","))",
                        "iw.max_psi": "\(drift.maximumPSI)", "iw.reference": "\(drift.referencePath)",
                    ]))
        }
        return .archived(folder: folder, report: report)
    }

    /// A validation failure: the input moves to `failed/` with `<name>.error.json` and `.error.txt`.
    private func quarantineInvalid(_ file: ClaimedFile, jobID: String, error: PredictionError, log: Logger) -> JobOutcome {
        // Name the file as the user dropped it, not by its processing/ name.
        let shownName = String(escaping: file.original.bytes)
        let reason =
            error.issue.map { Self.describe($0, input: shownName) }
            ?? error.description.split(separator: file.path, omittingEmptySubsequences: false).joined(separator: shownName)
        do {
            let path = try moveToFailed(file, jobID: jobID, reason: reason, issue: error.issue, attempts: file.attempts + 1)
            log.error("job failed validation; input quarantined: \(reason)", metadata: .event(.jobQuarantined, ["iw.failed": "\(path)"]))
            return .quarantined(path: path, reason: reason)
        } catch {
            log.error("could not quarantine the input (\(error)); will retry", metadata: .event(.jobFailed))
            return .retryLater(reason: "\(reason); quarantine failed: \(error)", retryAt: clock.now + pipeline.backoff(beforeRetry: 1))
        }
    }

    /// A transient failure retries with backoff until the attempts run out (`retries.attempts`
    /// tries in all, the first included), then quarantines.
    private func failed(_ file: ClaimedFile, jobID: String? = nil, transient: Bool, reason: String, log: Logger? = nil) -> JobOutcome {
        let log = log ?? logger
        let attempt = file.attempts + 1
        if transient && attempt < pipeline.retryAttempts {
            let wait = pipeline.backoff(beforeRetry: attempt)
            do { try ledger.record(attempt, for: file) } catch {
                log.warning("could not record the failed attempt; a restart would count it again: \(error)")
            }
            log.warning(
                "job attempt \(attempt) of \(pipeline.retryAttempts) failed, retrying in \(TimeSpan.format(wait)): \(reason)",
                metadata: .event(.jobFailed))
            return .retryLater(reason: reason, retryAt: clock.now + wait)
        }
        let final = transient ? "gave up after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(reason)" : reason
        do {
            let path = try moveToFailed(file, jobID: jobID ?? "-", reason: final, issue: nil, attempts: attempt)
            log.error("job failed; input quarantined: \(final)", metadata: .event(.jobQuarantined, ["iw.failed": "\(path)"]))
            return .quarantined(path: path, reason: final)
        } catch {
            log.error("job failed and the input could not be quarantined (\(error)); it stays in processing/", metadata: .event(.jobFailed))
            return .retryLater(reason: final, retryAt: clock.now + pipeline.maxBackoff)
        }
    }

    /// The name of the `counter`th quarantine of `original` in `failed/`: the name itself, then
    /// `name.2`, `name.3`, …; a ``DerivedName`` when it is not UTF-8 or when `<name>.error.json`
    /// would not fit NAME_MAX.
    static func quarantineName(of original: FilePath.Component, counter: Int) -> String {
        let suffix = counter > 1 ? ".\(counter)" : ""
        let room = DerivedName.maxBytes - ".error.json".utf8.count - suffix.utf8.count
        return DerivedName.fit(original, maxBytes: room) + suffix
    }

    /// Moves the claimed file to `failed/` (never replacing an earlier one) with its reason files
    /// first, and forgets its attempts.
    private func moveToFailed(
        _ file: ClaimedFile, jobID: String, reason: String, issue: ValidationIssue?, attempts: Int
    ) throws(FileError) -> String {
        let failed = pipeline.failed
        try fileSystem.makeFolder(failed)
        var counter = 1
        var name = Self.quarantineName(of: file.original, counter: counter)
        while fileSystem.exists("\(failed)/\(name)") || fileSystem.exists("\(failed)/\(name).error.json") {
            counter += 1
            name = Self.quarantineName(of: file.original, counter: counter)
        }
        let target = "\(failed)/\(name)"
        let report = FailureReport(
            input: file.originalName, inputHex: file.originalHex, job: jobID, reason: reason, attempts: attempts,
            failedAt: RFC3339.format(clock.now.unixSeconds), file: issue.map { _ in file.originalName }, line: issue?.line,
            rowGroup: issue?.rowGroup, column: issue?.column, columnName: issue?.columnName, value: issue?.value, rule: issue?.rule.name,
            message: issue?.message)
        let json: String
        do { json = try JSONValue(encoding: report).serialized() } catch {
            throw .invalid("cannot encode the failure report: \(error)", path: "\(target).error.json")
        }
        // The reason files first: a crash before the move leaves the input in processing/ (redone).
        let shown = issue.map { Self.describe($0, input: String(escaping: file.original.bytes)) } ?? reason
        try fileSystem.write(json, to: "\(target).error.json")
        try fileSystem.write(shown + "\n", to: "\(target).error.txt")
        do { try fileSystem.move(FilePath(file.path), to: FilePath(target)) } catch {
            // The input stays in processing/ for the retry; its reason files must not outlive this try.
            fileSystem.remove("\(target).error.json")
            fileSystem.remove("\(target).error.txt")
            throw error
        }
        fileSystem.sync(folder: failed)
        ledger.forget(file)
        return target
    }

    /// `name:line:column: message [rule]` for an issue found in the input called `input`.
    static func describe(_ issue: ValidationIssue, input: String) -> String { issue.described(as: input) }

    /// The folder of an archived job with this id, if any date folder holds one.
    func findArchivedFolder(jobID: String) -> String? {
        let archive = pipeline.archive
        for date in fileSystem.names(in: archive) where CalendarDate(folderName: date) != nil {
            for name in fileSystem.names(in: "\(archive)/\(date)") where name.hasSuffix("-" + jobID) && !name.hasPrefix(".") {
                return "\(archive)/\(date)/\(name)"
            }
        }
        return nil
    }
}

/// RFC 3339 UTC timestamps.
enum RFC3339 {
    static func format(_ unix: Double) -> String {
        var seconds = time_t(unix.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let millis = Int32((unix - unix.rounded(.down)) * 1000)
        return
            "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(millis, 3))Z"
    }
}

/// A point in a job where crash tests stop the daemon dead (`INFERWATCHER_TEST_PAUSE_AT=<point>:<folder>`).
///
/// The job writes `<folder>/paused-<point>-<jobid>` and sleeps forever, so the test can `kill -9`
/// the daemon exactly there. Never set in production; read once per job from the environment.
struct TestPausePoint: Sendable {
    enum Point: String, Sendable {
        case midPredict = "mid-predict"
        case afterPredict = "after-predict"
        case afterArchive = "after-archive"
    }

    let point: Point
    let markerFolder: String

    static func fromEnvironment() -> TestPausePoint? {
        guard let value = getenv("INFERWATCHER_TEST_PAUSE_AT").map({ String(cString: $0) }),
            let colon = value.firstIndex(of: ":"), let point = Point(rawValue: String(value[..<colon]))
        else { return nil }
        return TestPausePoint(point: point, markerFolder: String(value[value.index(after: colon)...]))
    }

    func pauseIfAt(_ here: Point, jobID: String) {
        guard here == point else { return }
        try? AtomicFile.write("", to: "\(markerFolder)/paused-\(point.rawValue)-\(jobID)")
        while true { sleep(60) }
    }
}
