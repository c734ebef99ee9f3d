public import Files

/// A dated archive folder that a prune removed (or, in a dry run, would remove).
public struct PrunedFolder: Sendable, Hashable {
    /// The folder's path, `<root>/<YYYY-MM-DD>`.
    public let path: String
    /// The folder's date.
    public let date: CalendarDate
    /// The total size of the regular files in it, in bytes (apparent size, st_size).
    public let bytes: Int
    /// How many regular files it held.
    public let files: Int
}

/// What a prune did.
public struct PruneResult: Sendable {
    /// True when nothing was removed because this was a dry run.
    public let dryRun: Bool
    /// Folders dated before this day were (or would be) removed.
    public let cutoff: CalendarDate
    /// The folders removed (or that would be removed), oldest first.
    public let removed: [PrunedFolder]
    /// Folders that should have been removed but could not be; the others were still removed.
    public let failures: [FileError]

    /// The total size of `removed`, in bytes.
    public var totalBytes: Int { removed.reduce(0) { $0 + $1.bytes } }
}

/// Archive retention: removes the `YYYY-MM-DD` folders older than a number of days.
public enum ArchivePruner {
    /// Removes the dated folders under `root` whose date is more than `olderThanDays` days before today.
    ///
    /// "Today" is the local date of `now` (default: the current time). A folder dated D is removed when
    /// D < today − olderThanDays, so with 90 days a folder exactly 90 days old is kept, and today's folder
    /// (or a future one) is never removed, even with 0 days. Only direct children of `root` named exactly
    /// `YYYY-MM-DD` (a real date) that are folders are considered; anything else is never touched.
    ///
    /// Each folder is first renamed to a hidden `.<YYYY-MM-DD>.pruning` and then deleted, so a crash part
    /// way leaves no half-removed dated folder; the next prune (or `ArchiveWriter.removeAbandonedStaging`)
    /// finishes the deletion.
    /// - Parameters:
    ///   - root: the pipeline's archive root; a missing root has nothing to prune.
    ///   - olderThanDays: the retention in days (0 or more).
    ///   - now: the current Unix time in seconds; nil reads the clock.
    ///   - dryRun: when true, reports what would be removed and removes nothing.
    /// - Throws: `FileError` when `olderThanDays` is negative or `root` cannot be listed; failures on single
    ///   folders are reported in `PruneResult.failures` instead.
    public static func prune(
        root: String,
        olderThanDays: Int,
        now: Double? = nil,
        dryRun: Bool = false
    ) throws(FileError) -> PruneResult {
        guard olderThanDays >= 0 else {
            throw .invalid(
                "retention of \(olderThanDays) days is negative",
                path: root,
                hint: "use 0 or more days"
            )
        }
        let today = CalendarDate(localDateOf: now ?? Timestamp.now())
        let cutoff = today.adding(days: -olderThanDays)
        guard try FileTree.status(root) != nil else {
            return PruneResult(dryRun: dryRun, cutoff: cutoff, removed: [], failures: [])
        }

        var candidates: [(date: CalendarDate, path: String)] = []
        var failures: [FileError] = []
        for name in try FileTree.list(root) {
            let path = FileTree.join(root, name)
            if isPruningLeftover(name) {
                if !dryRun {
                    do throws(FileError) { try FileTree.removeTree(path) } catch { failures.append(error) }
                }
                continue
            }
            guard let date = CalendarDate(folderName: name), date < cutoff, date < today else { continue }
            guard let info = try? FileTree.status(path), FileTree.isDirectory(info) else { continue }
            candidates.append((date, path))
        }
        candidates.sort { $0.date < $1.date }

        var removed: [PrunedFolder] = []
        for candidate in candidates {
            do throws(FileError) {
                let size = try FileTree.size(candidate.path)
                if !dryRun { try remove(candidate.path, date: candidate.date, root: root) }
                removed.append(
                    PrunedFolder(path: candidate.path, date: candidate.date, bytes: size.bytes, files: size.files)
                )
            } catch {
                failures.append(error)
            }
        }
        return PruneResult(dryRun: dryRun, cutoff: cutoff, removed: removed, failures: failures)
    }

    /// True for `.<YYYY-MM-DD>.pruning`, the name a dated folder has while it is being removed.
    static func isPruningLeftover(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".pruning") else { return false }
        return CalendarDate(folderName: String(name.dropFirst().dropLast(".pruning".count))) != nil
    }

    private static func remove(_ path: String, date: CalendarDate, root: String) throws(FileError) {
        let hidden = FileTree.join(root, ".\(date).pruning")
        try FileTree.removeTree(hidden)
        try FileTree.rename(path, to: hidden)
        try FileTree.syncDirectory(root)
        try FileTree.removeTree(hidden)
    }
}
