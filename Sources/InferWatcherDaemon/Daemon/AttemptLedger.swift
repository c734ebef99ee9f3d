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

    init(processing: String) {
        folder = processing + "/.attempts"
    }

    /// Failed attempts recorded for `file`; 0 if none.
    func attempts(of file: ClaimedFile) -> Int {
        guard let text = try? FileContents.text(path(of: file)) else { return 0 }
        return Int(text.filter(\.isNumber)) ?? 0
    }

    /// Records that `file` has now failed `attempts` times.
    func record(_ attempts: Int, for file: ClaimedFile) throws(FileError) {
        try SpoolFolders.makeFolder(folder)
        try AtomicFile.write("\(attempts)\n", to: path(of: file))
    }

    /// Forgets `file` (it was archived, skipped or quarantined).
    func forget(_ file: ClaimedFile) {
        SpoolFolders.remove(path(of: file))
    }

    /// Removes the records of files no longer in `processing/`.
    func removeRecords(except claimed: [ClaimedFile]) {
        let kept = Set(claimed.map(\.fileName))
        for name in SpoolFolders.names(in: folder) where !kept.contains(name) {
            SpoolFolders.remove("\(folder)/\(name)")
        }
    }

    private func path(of file: ClaimedFile) -> String { "\(folder)/\(file.fileName)" }
}
