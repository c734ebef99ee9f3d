import Checksum
public import Files
import Glibc

/// Everything `ArchiveWriter` needs to file one finished job.
public struct JobArchiveRequest: Sendable {
    /// The pipeline that ran the job.
    public var pipeline: String
    /// The job id (see `JobID`); part of the folder name, so 1 to 64 ASCII letters, digits, `-` or `_`.
    public var jobID: String
    /// The input's name without its extension; the folder is `<stem>-<jobID>` (stems over 200 bytes are cut).
    public var stem: String
    /// When the job started (Unix seconds); its local date picks the `YYYY-MM-DD` folder.
    public var startedAt: Double
    /// When the job finished (Unix seconds).
    public var finishedAt: Double
    /// The claimed input file; it is read (never moved or changed) and stored as `compression` says,
    /// or as received when it arrived compressed or as Parquet (see ``StoredInputForm``).
    public var inputPath: String
    /// The input's original file name, for the manifest (bytes that are not UTF-8 as U+FFFD).
    public var inputName: String
    /// The input's name in hex, byte for byte, when it is not UTF-8 (the manifest's `name_hex`).
    public var inputNameHex: String?
    /// How to store the input.
    public var compression: Compression
    /// Files already written by the job, by their name in the archive (`predictions.csv` → temporary path).
    ///
    /// They are hard-linked into the archive (copied when on another file system) and, once the job is
    /// archived, removed from their temporary paths; on failure they are left where they are, for a retry.
    public var outputs: [String: String]
    /// Small files given as bytes, by their name in the archive (`report.txt`, `report.json`).
    public var documents: [String: [UInt8]]
    /// The model that ran.
    public var model: ArchiveManifest.Model
    /// Row counts.
    public var rows: ArchiveManifest.RowCounts
    /// The version of the software, for the manifest.
    public var softwareVersion: String
    /// The host name for the manifest; nil uses `gethostname`.
    public var host: String?

    /// Creates a request; `stem` defaults to `inputName` without its last extension.
    public init(
        pipeline: String,
        jobID: String,
        inputPath: String,
        inputName: String,
        inputNameHex: String? = nil,
        stem: String? = nil,
        startedAt: Double,
        finishedAt: Double,
        compression: Compression,
        outputs: [String: String] = [:],
        documents: [String: [UInt8]] = [:],
        model: ArchiveManifest.Model,
        rows: ArchiveManifest.RowCounts,
        softwareVersion: String,
        host: String? = nil
    ) {
        self.pipeline = pipeline
        self.jobID = jobID
        self.inputPath = inputPath
        self.inputName = inputName
        self.inputNameHex = inputNameHex
        self.stem = stem ?? JobArchiveRequest.stem(ofInputName: inputName)
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.compression = compression
        self.outputs = outputs
        self.documents = documents
        self.model = model
        self.rows = rows
        self.softwareVersion = softwareVersion
        self.host = host
    }

    /// A file name without its last extension: `batch_input.csv` → `batch_input`, `a.b.csv` → `a.b`.
    public static func stem(ofInputName name: String) -> String {
        for suffix in [".csv.gz", ".csv.zst"] where name.hasSuffix(suffix) && name.count > suffix.count {
            return String(name.dropLast(suffix.count))
        }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}

/// A job filed in the archive.
public struct ArchivedJob: Sendable {
    /// The job's folder, `<root>/<YYYY-MM-DD>/<stem>-<jobid>`.
    public let folder: String
    /// What was written to its `manifest.json`.
    public let manifest: ArchiveManifest
}

/// What `ArchiveWriter.archive` did.
public enum ArchiveOutcome: Sendable {
    /// The job was filed now.
    case archived(ArchivedJob)
    /// A complete folder for this job id was already there (an earlier run finished before a crash);
    /// nothing was written or removed, so the caller should clean up its own temporary files.
    case alreadyArchived(folder: String)

    /// The job's folder in either case.
    public var folder: String {
        switch self {
        case .archived(let job): job.folder
        case .alreadyArchived(let folder): folder
        }
    }
}

/// Files finished jobs into `<root>/<YYYY-MM-DD>/<stem>-<jobid>/` so that a crash never leaves half a job.
///
/// Everything is built in a hidden staging folder next to the final one (`.<stem>-<jobid>.staging`), each file
/// fsynced, `manifest.json` last; then the staging folder is fsynced and renamed to its final name, and the
/// date folder is fsynced. A crash at any instant leaves either no final folder (plus a staging folder that
/// `removeAbandonedStaging(root:)` deletes) or a complete one. Files are created with mode 0666 and folders
/// with 0777, narrowed by the process umask (set `UMask=` in the unit).
public struct ArchiveWriter: Sendable {
    /// The pipeline's archive root, holding the `YYYY-MM-DD` folders.
    public let root: String

    /// A writer for the archive at `root` (created, with its parents, on first use).
    public init(root: String) {
        self.root = root
    }

    /// The folder a request is (or would be) filed in; the request must be valid.
    public func folder(for request: JobArchiveRequest) -> String {
        let date = CalendarDate(localDateOf: request.startedAt).description
        return FileTree.join(FileTree.join(root, date), Self.folderName(stem: request.stem, jobID: request.jobID))
    }

    /// Files one job; returns `.alreadyArchived` without touching anything when its folder already exists.
    ///
    /// On failure nothing is left in the archive (the staging folder is removed) and the request's outputs
    /// are still at their temporary paths, so the same request can be retried.
    /// - Throws: `FileError`; `isNoSpace` when the file system is full (worth retrying later),
    ///   `.invalid` for a bad request, others for I/O failures.
    public func archive(_ request: JobArchiveRequest) throws(FileError) -> ArchiveOutcome {
        try validate(request)
        let final = folder(for: request)
        let dateFolder = FileTree.parent(of: final)
        let staging = FileTree.join(dateFolder, ".\(Self.folderName(stem: request.stem, jobID: request.jobID)).staging")

        try FileTree.makeDirectories(dateFolder)
        if try FileTree.status(final) != nil { return .alreadyArchived(folder: final) }
        // A staging folder for this very job is what a crash during an earlier attempt left behind.
        try FileTree.removeTree(staging)
        try FileTree.makeDirectory(staging)

        let manifest: ArchiveManifest
        do {
            manifest = try fill(staging, with: request)
            try FileTree.syncDirectory(staging)
            do {
                try FileTree.rename(staging, to: final)
            } catch  where error.code == .exists {
                // Another writer filed the same job between the check above and now (rename fails on a
                // non-empty folder, and a complete one always holds manifest.json).
                try? FileTree.removeTree(staging)
                return .alreadyArchived(folder: final)
            }
            try FileTree.syncDirectory(dateFolder)
        } catch {
            try? FileTree.removeTree(staging)
            try? FileTree.syncDirectory(dateFolder)
            throw error
        }

        // The archive holds its own link or copy now; removing the temporary names keeps a later write
        // to them from changing an archived file through a shared inode.
        for source in request.outputs.values { unlink(source) }
        return .archived(ArchivedJob(folder: final, manifest: manifest))
    }

    /// Deletes the staging folders that crashed archive attempts left (and folders a crashed prune was removing).
    ///
    /// Call it at start, before any job is archived: a staging folder in use would be deleted too.
    /// - Returns: the paths removed.
    @discardableResult
    public static func removeAbandonedStaging(root: String) throws(FileError) -> [String] {
        guard try FileTree.status(root) != nil else { return [] }
        var removed: [String] = []
        var rootChanged = false
        for name in try FileTree.list(root).sorted() {
            let path = FileTree.join(root, name)
            guard let info = try FileTree.status(path), FileTree.isDirectory(info) else { continue }
            if ArchivePruner.isPruningLeftover(name) {
                try FileTree.removeTree(path)
                removed.append(path)
                rootChanged = true
                continue
            }
            guard CalendarDate(folderName: name) != nil else { continue }
            var dateFolderChanged = false
            for entry in try FileTree.list(path).sorted() where entry.hasPrefix(".") && entry.hasSuffix(".staging") {
                let stagingPath = FileTree.join(path, entry)
                guard let entryInfo = try FileTree.status(stagingPath), FileTree.isDirectory(entryInfo) else {
                    continue
                }
                try FileTree.removeTree(stagingPath)
                removed.append(stagingPath)
                dateFolderChanged = true
            }
            if dateFolderChanged { try FileTree.syncDirectory(path) }
        }
        if rootChanged { try FileTree.syncDirectory(root) }
        return removed
    }

    /// `<stem>-<jobID>`, with the stem cut to 200 bytes (at a character boundary) so names fit NAME_MAX,
    /// and its control characters (a newline in a dropped name) as `_`, so the folder's path stays one
    /// line in logs and in the duplicate index.
    static func folderName(stem: String, jobID: String) -> String {
        var cut = String(String.UnicodeScalarView(stem.unicodeScalars.map { $0.properties.generalCategory == .control ? "_" : $0 }))
        while cut.utf8.count > 200 { cut.removeLast() }
        return "\(cut)-\(jobID)"
    }

    private func validate(_ request: JobArchiveRequest) throws(FileError) {
        guard JobID.isValid(request.jobID) else {
            throw .invalid(
                "job id \"\(request.jobID)\" cannot name a folder",
                hint: "use 1 to 64 ASCII letters, digits, \"-\" or \"_\" (JobID.make gives 12 hex digits)"
            )
        }
        if request.stem.isEmpty || request.stem.utf8.contains(UInt8(ascii: "/")) || request.stem.utf8.contains(0)
            || request.stem.hasPrefix(".")
        {
            throw .invalid(
                "stem \"\(request.stem)\" of input \"\(request.inputName)\" cannot name a folder",
                hint: "use a non-empty name without \"/\" or NUL that does not start with \".\""
            )
        }
        guard request.startedAt.isFinite, request.finishedAt.isFinite else {
            throw .invalid("job \(request.jobID): start or finish time is not a finite number")
        }
        let reserved = Set(["manifest.json", StoredInputForm.parquetName] + Compression.allCases.map(\.storedInputName))
        for name in request.outputs.keys.sorted() + request.documents.keys.sorted() {
            try FileName.validate(name, what: "archive file name")
            if reserved.contains(name) {
                throw .invalid("archive file name \"\(name)\" is reserved for the input or the manifest")
            }
            if request.outputs[name] != nil && request.documents[name] != nil {
                throw .invalid("archive file name \"\(name)\" is given both as an output and as a document")
            }
        }
    }

    /// Writes the input, outputs, documents and finally the manifest into `staging`, each fsynced.
    private func fill(_ staging: String, with request: JobArchiveRequest) throws(FileError) -> ArchiveManifest {
        let input = try OpenFile.openForReading(request.inputPath)
        let inputInfo = try input.status()
        guard FileTree.isRegularFile(inputInfo) else {
            throw .invalid("input is not a regular file", path: request.inputPath)
        }
        let form = StoredInputForm(received: try InputEncoding.of(path: request.inputPath), asked: request.compression)
        let stored = try OpenFile.createNew(FileTree.join(staging, form.name))
        let digests = try InputStore.store(
            input,
            into: stored,
            compression: form.compressing,
            expectedSize: Int(inputInfo.st_size)
        )
        try stored.sync()
        try stored.close()
        try input.close()

        var files: [ArchiveManifest.File] = []
        for (name, source) in request.outputs {
            let digest = try place(output: source, at: FileTree.join(staging, name), name: name)
            files.append(ArchiveManifest.File(name: name, size: digest.size, sha256: digest.sha256))
        }
        for (name, bytes) in request.documents {
            let file = try OpenFile.createNew(FileTree.join(staging, name))
            try file.write(bytes)
            try file.sync()
            try file.close()
            files.append(ArchiveManifest.File(name: name, size: bytes.count, sha256: SHA256.hex(of: bytes)))
        }
        files.sort { $0.name < $1.name }

        let manifest = ArchiveManifest(
            format: ArchiveManifest.currentFormat,
            jobID: request.jobID,
            pipeline: request.pipeline,
            startedAt: Timestamp.rfc3339UTC(request.startedAt),
            finishedAt: Timestamp.rfc3339UTC(request.finishedAt),
            // A clock stepped back during the job must not fail the archive; the times are kept as they were.
            durationSeconds: Timestamp.roundedToMicroseconds(max(0, request.finishedAt - request.startedAt)),
            model: request.model,
            input: ArchiveManifest.Input(
                name: request.inputName,
                nameHex: request.inputNameHex,
                size: digests.original.size,
                sha256: digests.original.sha256,
                stored: ArchiveManifest.StoredInput(
                    name: form.name,
                    compression: form.compression.rawValue,
                    size: digests.stored.size,
                    sha256: digests.stored.sha256
                )
            ),
            rows: request.rows,
            files: files,
            softwareVersion: request.softwareVersion,
            host: request.host ?? Self.hostName()
        )
        let text: String
        do { text = try manifest.jsonText() } catch { throw .invalid("cannot encode the manifest: \(error)") }
        let manifestFile = try OpenFile.createNew(FileTree.join(staging, "manifest.json"))
        try manifestFile.write(Array(text.utf8))
        try manifestFile.sync()
        try manifestFile.close()
        return manifest
    }

    /// Hard-links an output into the staging folder (copying when links are impossible), fsyncs and hashes it.
    private func place(output source: String, at destination: String, name: String) throws(FileError) -> FileDigest {
        guard let info = try FileTree.status(source) else {
            throw FileError(code: .notFound, message: "output \"\(name)\" does not exist", path: source)
        }
        guard FileTree.isRegularFile(info) else {
            throw .invalid("output \"\(name)\" is not a regular file", path: source)
        }
        if link(source, destination) == 0 {
            let file = try OpenFile.openForReading(destination)
            let digest = try StreamCopy.digest(of: file)
            try file.sync()
            try file.close()
            return digest
        }
        let code = errno
        switch code {
        case EXDEV, EPERM, EMLINK, EOPNOTSUPP, ENOSYS:
            // Another file system, or one without hard links: copy instead.
            let input = try OpenFile.openForReading(source)
            let file = try OpenFile.createNew(destination)
            let digest = try StreamCopy.copy(from: input, to: file)
            try file.sync()
            try file.close()
            try input.close()
            return digest
        default:
            throw .system(
                "cannot link output \"\(name)\" into the archive at \(destination)", path: source, errno: code)
        }
    }

    /// This machine's host name, or "unknown".
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
