import Files

/// How many times each claimed file has been tried and failed, kept on disk so a restart does not
/// hand a file a fresh set of attempts.
///
/// One small file per claimed file, `processing/.attempts/<claim name>`, holding the count. It is
/// written (atomically) before the retry is queued and removed once the file leaves
/// `processing/`. A crash mid-job does not count as an attempt: the job never reported a failure.
struct AttemptLedger: Sendable {
    /// `processing/.attempts`.
    let folder: String
    let fileSystem: any SpoolFileSystem

    init(processing: String, fileSystem: any SpoolFileSystem) {
        folder = processing + "/.attempts"
        self.fileSystem = fileSystem
    }

    /// Failed attempts recorded for `file`; 0 if none.
    func attempts(of file: ClaimedFile) -> Int {
        guard let text = try? fileSystem.readText(path(of: file)) else { return 0 }
        return Int(text.filter(\.isNumber)) ?? 0
    }

    /// Records that `file` has now failed `attempts` times.
    func record(_ attempts: Int, for file: ClaimedFile) throws(FileError) {
        try fileSystem.makeFolder(folder)
        try fileSystem.write("\(attempts)\n", to: path(of: file))
    }

    /// Forgets `file` (it was archived, skipped or quarantined).
    func forget(_ file: ClaimedFile) {
        fileSystem.remove(path(of: file))
    }

    /// Removes the records of files no longer in `processing/`.
    func removeRecords(except claimed: [ClaimedFile]) {
        let kept = Set(claimed.map(\.fileName))
        for name in fileSystem.names(in: folder) where !kept.contains(name) {
            fileSystem.remove("\(folder)/\(name)")
        }
    }

    private func path(of file: ClaimedFile) -> String { "\(folder)/\(file.fileName)" }
}
