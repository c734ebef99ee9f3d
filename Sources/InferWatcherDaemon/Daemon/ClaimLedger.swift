import Files
import SystemPackage

/// What the daemon keeps on disk about each claimed file besides the file itself: how many times it
/// has been tried and failed, so a restart does not hand it a fresh set of attempts, and its original
/// name when the claim name does not spell it (not UTF-8, or too long to fit NAME_MAX with the
/// arrival time), so a restart still knows what the user dropped.
///
/// Small files named after the claim: `processing/.attempts/<claim name>` holds the count, written
/// (atomically) before the retry is queued; `processing/.names/<claim name>` holds the original
/// name's bytes in hex, written before the claiming rename. Both go once the file leaves
/// `processing/`. A crash mid-job does not count as an attempt: the job never reported a failure.
struct ClaimLedger: Sendable {
    /// `processing/.attempts`.
    let folder: String
    /// `processing/.names`.
    let namesFolder: String
    let fileSystem: any SpoolFileSystem

    init(processing: String, fileSystem: any SpoolFileSystem) {
        folder = processing + "/.attempts"
        namesFolder = processing + "/.names"
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

    /// Keeps the original name of a file about to be claimed under another name (durably: the
    /// claim follows); does nothing when the claim name is the original.
    func recordName(of file: ClaimedFile) throws(FileError) {
        guard file.isRenamed else { return }
        try fileSystem.makeFolder(namesFolder)
        try fileSystem.write(file.original.hex + "\n", to: "\(namesFolder)/\(file.fileName)")
    }

    /// The original name kept for the claim called `fileName`, if any.
    func recordedName(of fileName: String) -> FilePath.Component? {
        guard let text = try? fileSystem.readText("\(namesFolder)/\(fileName)") else { return nil }
        return FilePath.Component(hex: String(text.filter(\.isHexDigit)))
    }

    /// Forgets `file` (it was archived, skipped or quarantined, or its claim failed).
    func forget(_ file: ClaimedFile) {
        fileSystem.remove(path(of: file))
        fileSystem.remove("\(namesFolder)/\(file.fileName)")
    }

    /// Removes the records of files no longer in `processing/`.
    func removeRecords(except claimed: [ClaimedFile]) {
        let kept = Set(claimed.map(\.fileName))
        for records in [folder, namesFolder] {
            for name in fileSystem.names(in: records) where !kept.contains(name) {
                fileSystem.remove("\(records)/\(name)")
            }
        }
    }

    private func path(of file: ClaimedFile) -> String { "\(folder)/\(file.fileName)" }
}
