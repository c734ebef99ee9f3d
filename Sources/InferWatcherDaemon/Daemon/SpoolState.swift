import Archive
import Files
import Logging
import SystemPackage
import SystemdCalendar

/// A pipeline's view of its spool: the watcher, the files settling in `incoming/`, the queue of
/// claimed files and the schedule. Owned and changed by the pipeline's loop only.
struct SpoolState {
    private(set) var config: PipelineConfig
    private let logger: Logger
    private let inbox: PipelineInbox
    private let fileSystem: any SpoolFileSystem
    let ledger: ClaimLedger
    private var watcher: SpoolWatcher?
    private(set) var tracker = SettleTracker()
    /// Claimed files waiting for a job slot (or for their retry time), in claim order.
    var queue: [ClaimedFile] = []
    /// What was warned about this run, so each entry is warned about once per name and inode.
    private var warned: Set<Warning> = []
    private var nextRescan: UnixInstant
    private(set) var nextElapse: UnixInstant?
    private var runNowRequested = false
    /// The last arrival time handed out: every claim gets a distinct one (it is part of the job id).
    private var lastArrivalNanoseconds: Int64 = 0

    /// Creates the folders, clears what a crash left half-done, recovers `processing/`, starts
    /// watching `incoming/` and scans it once.
    init(
        config: PipelineConfig, inbox: PipelineInbox, fileSystem: any SpoolFileSystem, logger: Logger, now: UnixInstant
    ) throws(FileError) {
        self.config = config
        self.logger = logger
        self.inbox = inbox
        self.fileSystem = fileSystem
        ledger = ClaimLedger(processing: config.processing, fileSystem: fileSystem)
        nextRescan = now + config.rescan
        for folder in [config.incoming, config.processing, config.failed, config.archive] {
            try fileSystem.makeFolder(folder)
        }
        // Work folders of jobs a crash interrupted: their jobs are redone from processing/.
        let work = JobExecutor.workFolder(archive: config.archive)
        try fileSystem.makeFolder(work)
        for name in fileSystem.names(in: work) { fileSystem.removeTree("\(work)/\(name)") }
        for path in try ArchiveWriter.removeAbandonedStaging(root: config.archive) {
            logger.notice("removed an unfinished archive folder left by a crash: \(path)")
        }
        recoverProcessing()
        watcher = try SpoolWatcher(folder: config.incoming, onEvents: inbox.post)
        scan(now: now)
        scheduleNext(after: now)
    }

    /// Stops watching `incoming/`.
    func stopWatching() { watcher?.stop() }

    /// Files left in `processing/` by a previous run are redone, oldest first, with the attempts
    /// they had already used.
    private mutating func recoverProcessing() {
        var recovered: [ClaimedFile] = []
        for name in fileSystem.names(in: config.processing) where !name.hasPrefix(".") {
            if var file = ClaimedFile(folder: config.processing, fileName: name, recorded: ledger.recordedName(of: name)) {
                file.attempts = ledger.attempts(of: file)
                recovered.append(file)
            } else {
                logger.warning("unexpected file in processing/ left alone: \(String(escaping: name.utf8))")
            }
        }
        ledger.removeRecords(except: recovered)
        recovered.sort { $0.arrivalNanoseconds < $1.arrivalNanoseconds }
        if !recovered.isEmpty { logger.notice("recovered \(recovered.count) unfinished job(s) from processing/") }
        lastArrivalNanoseconds = recovered.last?.arrivalNanoseconds ?? 0
        queue = recovered
    }

    /// Applies a reloaded configuration: a new `incoming/` is watched and scanned, a new schedule
    /// computes its next elapse; the rest applies to the next job.
    mutating func apply(_ newConfig: PipelineConfig, now: UnixInstant) {
        let scheduleChanged = newConfig.schedule != config.schedule
        let incomingChanged = newConfig.incoming != config.incoming
        config = newConfig
        if incomingChanged {
            watcher?.stop()
            watcher = nil
            tracker = SettleTracker()
            startWatching(now: now)
        }
        if scheduleChanged { scheduleNext(after: now) }
    }

    /// (Re)creates the spool folders and watches `incoming/`; on failure, the next turn tries again.
    private mutating func startWatching(now: UnixInstant) {
        do {
            for folder in [config.incoming, config.processing, config.failed] { try fileSystem.makeFolder(folder) }
            watcher = try SpoolWatcher(folder: config.incoming, onEvents: inbox.post)
            scan(now: now)
        } catch {
            logger.error("cannot watch \(config.incoming): \(error)")
        }
    }

    private mutating func scheduleNext(after now: UnixInstant) {
        if case .calendar(let calendar) = config.schedule {
            nextElapse = calendar.nextElapse(after: now.unixSeconds).map(UnixInstant.init(unixSeconds:))
        } else {
            nextElapse = nil
        }
    }

    /// Adds every eligible file in `incoming/` to the settle tracker.
    mutating func scan(now: UnixInstant) {
        let names = fileSystem.entries(in: config.incoming)
        // Warnings about entries that are gone may be given again if they come back.
        let present = Set(names)
        warned = warned.filter { present.contains($0.name) }
        for name in names where !SpoolNames.isIgnored(name) {
            consider(name, now: now, restart: false)
        }
    }

    /// An entry of `incoming/` warned about, and why.
    private struct Warning: Hashable {
        let name: FilePath.Component
        let inode: UInt64
        let notRegular: Bool
    }

    /// Logs `message` about `entry` unless it was said already about this name and inode this run.
    private mutating func warnOnce(_ entry: SpoolEntry, notRegular: Bool, _ message: @autoclosure () -> String) {
        guard warned.insert(Warning(name: entry.name, inode: entry.inode, notRegular: notRegular)).inserted else { return }
        logger.warning("\(message())", metadata: ["iw.input": "\(entry.name.text)"])
    }

    private mutating func consider(_ name: FilePath.Component, now: UnixInstant, restart: Bool) {
        guard !SpoolNames.isIgnored(name), let entry = fileSystem.entry(folder: config.incoming, name: name) else { return }
        guard entry.kind == .regular else {
            warnOnce(
                entry, notRegular: true,
                "ignoring \(String(escaping: name.bytes)) in incoming/: not a regular file (\(entry.kind)); folders, symlinks, "
                    + "FIFOs, sockets and devices are never processed: left alone")
            return
        }
        if restart { tracker.restart(entry, now: now) } else { tracker.touch(entry, now: now) }
    }

    /// Takes in the watcher's events, and rescans when the safety-net rescan is due.
    mutating func observe(_ events: [SpoolEvent], now: UnixInstant) {
        guard let watcher else {
            startWatching(now: now)  // the folder could not be watched: keep trying
            return
        }
        for event in events {
            switch event {
            case .fileChanged(let name):
                consider(name, now: now, restart: true)
            case .created(let name):
                if let entry = fileSystem.entry(folder: config.incoming, name: name), entry.kind != .regular {
                    consider(name, now: now, restart: false)
                }
            case .overflow:
                logger.warning("inotify queue overflowed; rescanning incoming/")
                scan(now: now)
            case .folderGone:
                logger.warning("incoming/ was deleted or replaced; recreating and watching it again")
                do {
                    try fileSystem.makeFolder(config.incoming)
                    try watcher.rewatch()
                } catch {
                    logger.error("cannot watch \(config.incoming): \(error)")
                    watcher.stop()
                    self.watcher = nil
                }
                tracker = SettleTracker()
                scan(now: now)
            }
        }
        if now >= nextRescan {
            nextRescan = now + config.rescan
            scan(now: now)
        }
    }

    /// Runs the scheduled work at the next turn, whatever the schedule says.
    mutating func requestRunNow() { runNowRequested = true }

    /// Claims settled files into `processing/` when the schedule is due.
    mutating func claimDueFiles(now: UnixInstant) {
        let (incoming, fileSystem) = (config.incoming, self.fileSystem)
        let result = tracker.ready(now: now, settle: config.settle) { fileSystem.entry(folder: incoming, name: $0) }
        let due: Bool
        switch config.schedule {
        case .immediate:
            due = true
        case .calendar:
            let timeDue = nextElapse.map { now >= $0 } ?? false
            due = timeDue || runNowRequested
            if timeDue { scheduleNext(after: now) }
        }
        runNowRequested = false
        guard due else { return }
        for entry in result.ready {
            lastArrivalNanoseconds = max(now.unixNanoseconds, lastArrivalNanoseconds + 1)
            let file = ClaimedFile(folder: config.processing, original: entry.name, arrivalNanoseconds: lastArrivalNanoseconds)
            tracker.forget(entry.name)
            let shown = String(escaping: entry.name.bytes)
            do {
                try ledger.recordName(of: file)
                try fileSystem.move(FilePath(incoming).appending(entry.name), to: FilePath(file.path))
                queue.append(file)
                let renamed = file.isRenamed ? " as \(String(escaping: file.fileName.utf8))" : ""
                logger.info("claimed \(shown) (\(entry.size) bytes)\(renamed)", metadata: ["iw.input": "\(file.originalName)"])
            } catch {
                // Left in incoming/: the next rescan or event tries again, without another warning.
                ledger.forget(file)
                warnOnce(
                    entry, notRegular: false,
                    "cannot claim \(shown): \(error.reason); it stays in incoming/ and is tried again at each rescan "
                        + "(move it out, or let the daemon's user rename it)")
            }
        }
        if !result.ready.isEmpty { fileSystem.sync(folder: config.processing) }
    }

    /// The next time the loop must look again without an event: a settle time ending, the rescan,
    /// the schedule's next elapse or a retry coming due.
    func nextDeadline(now: UnixInstant) -> UnixInstant {
        var deadline = nextRescan
        let (incoming, fileSystem) = (config.incoming, self.fileSystem)
        var copy = tracker
        if let next = copy.ready(now: now, settle: config.settle, stat: { fileSystem.entry(folder: incoming, name: $0) }).nextCheck {
            deadline = min(deadline, next)
        }
        if let nextElapse { deadline = min(deadline, nextElapse) }
        if let retry = queue.map(\.notBefore).filter({ $0 > now }).min() { deadline = min(deadline, retry) }
        return deadline
    }
}
