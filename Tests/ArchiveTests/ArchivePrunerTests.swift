import Archive
import Files
import Glibc
import Testing

@Suite("ArchivePruner")
struct ArchivePrunerTests {
    /// A fixed "now", and the local dates around it computed by date(1), independent of the code under test.
    static let now: Double = 1_795_000_000
    static func localDate(daysFromNow days: Int) -> String {
        let today = Shell.output("date -d @\(Int(now)) +%F")
        return Shell.output("date -d '\(today) \(days) days' +%F")
    }

    /// An archive root holding one dated folder (with a job and its files) per offset, plus things that must stay.
    func makeArchive(offsets: [Int]) -> TemporaryFolder {
        let folder = TemporaryFolder()
        for offset in offsets {
            let job = "\(folder.path)/\(Self.localDate(daysFromNow: offset))/batch-\(abs(offset))"
            _ = Shell.output(
                "mkdir -p \(Shell.quote(job)) && head -c 1000 /dev/zero > \(Shell.quote(job))/input.csv && printf '{}' > \(Shell.quote(job))/manifest.json"
            )
        }
        // Never touched: not a real date, not the pattern, a file, a symlink to an old date folder.
        _ = Shell.output(
            "cd \(Shell.quote(folder.path)) && mkdir -p 2020-02-30 2020-1-01 notes 2020-01-01x && touch 2000-01-01 && ln -s 2020-02-30 1999-12-31"
        )
        return folder
    }

    static let keepNever = ["1999-12-31", "2000-01-01", "2020-02-30", "2020-1-01", "2020-01-01x", "notes"]

    @Test(
        "removes exactly the dated folders older than the retention",
        arguments: [
            // (retention days, folders at these day offsets from now, offsets expected removed)
            (90, [-400, -91, -90, -89, -1, 0, 1], [-400, -91]),
            (0, [-2, -1, 0, 1], [-2, -1]),
            (1, [-2, -1, 0], [-2]),
            (7, [-6, -5, 0], []),
            (30, [3, 10], []),
        ]
    )
    func retentionTable(days: Int, offsets: [Int], expectedRemoved: [Int]) throws {
        let archive = makeArchive(offsets: offsets)
        let result = try ArchivePruner.prune(root: archive.path, olderThanDays: days, now: Self.now)

        let removedNames = result.removed.map { String($0.path.split(separator: "/").last!) }
        #expect(removedNames == expectedRemoved.sorted().map { Self.localDate(daysFromNow: $0) })
        #expect(result.failures.isEmpty)
        #expect(!result.dryRun)
        for folder in result.removed {
            #expect(folder.bytes == 1002)
            #expect(folder.files == 2)
        }
        #expect(result.totalBytes == 1002 * expectedRemoved.count)
        let remaining = Set(Fixture.list(archive.path))
        for offset in offsets where !expectedRemoved.contains(offset) {
            #expect(remaining.contains(Self.localDate(daysFromNow: offset)), "day \(offset) must stay")
        }
        for offset in expectedRemoved {
            #expect(!remaining.contains(Self.localDate(daysFromNow: offset)), "day \(offset) must go")
        }
        for name in Self.keepNever { #expect(remaining.contains(name), "\(name) must never be touched") }
        #expect(remaining.allSatisfy { !$0.hasSuffix(".pruning") })
    }

    @Test("a dry run reports the same folders and sizes and removes nothing")
    func dryRun() throws {
        let archive = makeArchive(offsets: [-100, -95, -10, 0])
        let before = Fixture.list(archive.path)
        let dry = try ArchivePruner.prune(root: archive.path, olderThanDays: 90, now: Self.now, dryRun: true)
        #expect(dry.dryRun)
        #expect(Fixture.list(archive.path) == before)
        #expect(dry.removed.count == 2)
        #expect(dry.totalBytes == 2004)

        let real = try ArchivePruner.prune(root: archive.path, olderThanDays: 90, now: Self.now)
        #expect(real.removed == dry.removed)
    }

    @Test("today's folder stays with a retention of 0 days, whatever the time of day")
    func todayNeverRemoved() throws {
        let archive = makeArchive(offsets: [0])
        for hour in stride(from: 0.0, through: 86_400, by: 3600) {
            let result = try ArchivePruner.prune(root: archive.path, olderThanDays: 0, now: Self.now + hour)
            let today = Shell.output("date -d @\(Int(Self.now + hour)) +%F")
            if today == Self.localDate(daysFromNow: 0) { #expect(result.removed.isEmpty) }
        }
    }

    @Test("a leftover of a crashed prune is finished off; a missing root and a negative retention are handled")
    func edges() throws {
        let archive = makeArchive(offsets: [])
        _ = Shell.output("mkdir -p \(Shell.quote(archive.path))/.2001-01-01.pruning/job")
        _ = try ArchivePruner.prune(root: archive.path, olderThanDays: 5, now: Self.now)
        #expect(!Fixture.exists("\(archive.path)/.2001-01-01.pruning"))

        let missing = try ArchivePruner.prune(root: archive.join("missing"), olderThanDays: 5, now: Self.now)
        #expect(missing.removed.isEmpty)

        let error = #expect(throws: FileError.self) {
            try ArchivePruner.prune(root: archive.path, olderThanDays: -1, now: Self.now)
        }
        #expect(error?.code == .invalid)
    }

    @Test("the cutoff is today minus the retention")
    func cutoff() throws {
        let archive = makeArchive(offsets: [])
        let result = try ArchivePruner.prune(root: archive.path, olderThanDays: 90, now: Self.now, dryRun: true)
        #expect(result.cutoff.description == Self.localDate(daysFromNow: -90))
    }
}

@Suite("CalendarDate")
struct CalendarDateTests {
    @Test(
        "parses only real YYYY-MM-DD dates",
        arguments: [
            ("2026-11-26", true), ("2024-02-29", true), ("2023-02-29", false), ("2000-02-29", true),
            ("1900-02-29", false), ("2026-13-01", false), ("2026-00-10", false), ("2026-04-31", false),
            ("2026-1-01", false), ("2026-01-01 ", false), ("２026-01-01", false), ("0000-01-01", false),
            ("abcd-ef-gh", false), ("", false), ("2026/01/01", false),
        ]
    )
    func parsing(text: String, valid: Bool) {
        let date = CalendarDate(folderName: text)
        #expect((date != nil) == valid, "\(text)")
        if let date { #expect(date.description == text) }
    }

    @Test("day arithmetic agrees with date(1) across leap years and centuries")
    func dayArithmetic() {
        for (start, offset) in [
            ("2024-02-28", 1), ("2024-02-28", 2), ("1999-12-31", 1), ("2100-02-28", 1), ("1970-01-01", -1),
            ("2026-03-01", -366),
        ] {
            let date = CalendarDate(folderName: start)!
            let expected = Shell.output("date -u -d '\(start) \(offset) days' +%F")
            #expect(date.adding(days: offset).description == expected, "\(start) \(offset)")
        }
        #expect(CalendarDate(folderName: "1970-01-01")!.daysSinceEpoch == 0)
        #expect(
            CalendarDate(folderName: "2026-11-26")!.daysSinceEpoch == Int(
                Shell.output("echo $(( $(date -u -d 2026-11-26 +%s) / 86400 ))"))!)
    }

    @Test("local date of a Unix time matches date(1)")
    func localDate() {
        for seconds in [0.0, 1_795_000_000.9, 1_709_164_800] {
            #expect(CalendarDate(localDateOf: seconds).description == Shell.output("date -d @\(Int(seconds)) +%F"))
        }
    }
}
