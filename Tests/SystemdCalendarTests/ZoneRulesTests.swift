import Foundation
import Glibc
import Testing

@testable import SystemdCalendar

/// The zone engine against glibc itself: GNU `date` in a child process with its own TZ prints
/// the offset and abbreviation glibc's localtime gives for each instant.
@Suite("ZoneRules matches glibc")
struct ZoneRulesTests {
    static let timeZones = [
        "UTC", "Europe/Berlin", "Europe/Dublin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
        "America/Sao_Paulo", "Pacific/Chatham", ":Europe/Berlin", "",
        // POSIX rules: no zone file; southern hemisphere, Julian days, negative change times.
        "CET-1CEST,M3.5.0,M10.5.0/3", "<+0330>-3:30", "NZST-12NZDT,M9.5.0,M4.1.0/3",
        "XYZ-5:30ABC-6:30,J60/1:30,300/-1",
    ]

    /// Every 6 hours 7 minutes through 2025-2027, and every 3 days 1 hour from 1970 to 2150 (past
    /// the end of the tz files' transition lists, where their POSIX rule takes over).
    static let instants: [Int] =
        Array(stride(from: 1_735_689_600, to: 1_830_297_600, by: 22_020))
        + Array(stride(from: 0, to: 5_680_281_600, by: 262_800))

    @Test("offset and abbreviation at each instant", arguments: timeZones)
    func localTimeTypes(timeZone: String) throws {
        guard access("/bin/date", X_OK) == 0 else { return }
        let rules = TimeZoneDatabase.rules(forTZ: timeZone)
        let glibc = try Self.glibcLocalTimes(timeZone: timeZone, instants: Self.instants)
        var mismatches = 0
        for (instant, expected) in zip(Self.instants, glibc) {
            let type = rules.localTimeType(at: instant)
            if type.utcOffset != expected.offset || type.abbreviation != expected.abbreviation {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record(
                        "TZ=\(timeZone) @\(instant): glibc \(expected), ours \(type.utcOffset) \(type.abbreviation)")
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// Answers of glibc's mktime, found with a C program, for the cases systemd's search relies on.
    @Test("ZoneClock.normalize behaves like glibc's mktime")
    func normalizeLikeMktime() {
        func normalize(
            _ zone: String, _ hour: Int, _ minute: Int, isDST: Int, day: Int = 29, month: Int = 3
        )
            -> (Int?, CivilTime)
        {
            var clock = ZoneClock(rules: TimeZoneDatabase.rules(forTZ: zone))
            var time = CivilTime(
                year: 2026, month: month, day: day, hour: hour, minute: minute, second: 0, isDST: isDST)
            return (clock.normalize(&time), time)
        }
        // In the spring-forward gap glibc moves forward in Berlin (to daylight saving time)...
        let berlin = normalize("Europe/Berlin", 2, 40, isDST: -1)
        #expect(berlin.0 == 1_774_748_400 && berlin.1.hour == 3 && berlin.1.minute == 40 && berlin.1.isDST == 1)
        // ...and backwards in Dublin, where winter time (GMT) is the one flagged as daylight saving time.
        let dublin = normalize("Europe/Dublin", 1, 40, isDST: -1)
        #expect(dublin.0 == 1_774_744_800 && dublin.1.hour == 0 && dublin.1.isDST == 1)
        let dublinDST = normalize("Europe/Dublin", 1, 40, isDST: 1)
        #expect(dublinDST.0 == 1_774_748_400 && dublinDST.1.hour == 2 && dublinDST.1.isDST == 0)
        // Asking for daylight saving time where there is none: glibc assumes a one-hour difference.
        let utc = normalize("UTC", 12, 0, isDST: 1, day: 1, month: 6)
        #expect(utc.0 == 1_780_311_600 && utc.1.hour == 11)
        // Out-of-range fields carry over.
        let carried = normalize("UTC", 24, 60, isDST: -1, day: 31, month: 12)
        #expect(carried.0 == 1_798_765_200 && carried.1.year == 2027 && carried.1.month == 1 && carried.1.day == 1)
    }

    /// A hand-made zone whose first local time type is daylight saving time: before its first
    /// transition glibc uses the first standard-time type instead.
    @Test("a synthetic TZif file")
    func syntheticZoneFile() throws {
        guard access("/bin/date", X_OK) == 0 else { return }
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tzif-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: path) }
        try Self.tzif(transition: 946_684_800, footer: "XST0").write(to: path)
        let rules = TimeZoneDatabase.rules(forTZ: path.path)
        let instants = [0, 900_000_000, 946_684_799, 946_684_800, 1_800_000_000, 5_000_000_000]
        let glibc = try Self.glibcLocalTimes(timeZone: path.path, instants: instants)
        for (instant, expected) in zip(instants, glibc) {
            let type = rules.localTimeType(at: instant)
            #expect(type.utcOffset == expected.offset && type.abbreviation == expected.abbreviation, "@\(instant)")
        }
        #expect(rules.localTimeType(at: 0).abbreviation == "XST")
    }

    /// A version 2 TZif file with types XDT (+1 h, daylight saving) and XST (UTC, standard) and
    /// one transition to XST.
    static func tzif(transition: Int, footer: String) -> Data {
        func bigEndian(_ value: Int, _ size: Int) -> [UInt8] {
            (0..<size).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        }
        let counts = [0, 0, 0, 1, 2, 8].flatMap { bigEndian($0, 4) }
        let header = Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15) + counts
        let types = bigEndian(3600, 4) + [1, 0] + bigEndian(0, 4) + [0, 4]
        let names = Array("XDT\0XST\0".utf8)
        var bytes = header + bigEndian(transition, 4) + [1] + types + names
        bytes += header + bigEndian(transition, 8) + [1] + types + names
        bytes += Array("\n\(footer)\n".utf8)
        return Data(bytes)
    }

    @Test("zone names are checked as systemd checks them")
    func zoneNames() {
        for name in ["Europe/Berlin", "UTC", "Etc/GMT+1", "America/Argentina/Buenos_Aires", "CET"] {
            #expect(TimeZoneDatabase.isValidZoneName(name), "\(name)")
        }
        for name in [
            "", "Europe//Berlin", "/etc/localtime", "../etc/passwd", "Europe/", "Mars/Base", "Europe", "Europe/Berlin ",
        ] {
            #expect(!TimeZoneDatabase.isValidZoneName(name), "\(name)")
        }
    }

    @Test("a changed zone file is read again")
    func reloadsChangedFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "zone-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: path) }
        let july = 1_782_864_000  // 2026-07-01 00:00 UTC
        try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin")).write(to: path)
        #expect(TimeZoneDatabase.rules(forTZ: path.path).localTimeType(at: july).utcOffset == 7200)
        try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Asia/Tokyo")).write(to: path)
        #expect(TimeZoneDatabase.rules(forTZ: path.path).localTimeType(at: july).utcOffset == 32400)
    }

    @Test("TZ values glibc falls back on")
    func fallbacks() {
        #expect(
            TimeZoneDatabase.rules(forTZ: "").localTimeType(at: 1_782_864_000)
                == .init(utcOffset: 0, isDST: false, abbreviation: "UTC"))
        #expect(TimeZoneDatabase.rules(forTZ: "No/Such_Zone").localTimeType(at: 1_782_864_000).utcOffset == 0)
        #expect(TimeZoneDatabase.rules(forTZ: ":Asia/Tokyo").localTimeType(at: 0).utcOffset == 32400)
        #expect(TimeZoneDatabase.rules(forTZ: "CET-1CEST,M3.5.0,M10.5.0/3").abbreviations == ("CET", "CEST"))
        #expect(TimeZoneDatabase.rules(forTZ: "Europe/Berlin").abbreviations == ("CET", "CEST"))
        #expect(TimeZoneDatabase.rules(forTZ: "Asia/Tokyo").abbreviations == ("JST", "JDT"))
    }

    /// Offset (seconds east) and abbreviation from `TZ=<timeZone> date -f - +'%z %Z'`.
    static func glibcLocalTimes(timeZone: String, instants: [Int]) throws -> [(offset: Int, abbreviation: String)] {
        let inputFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("instants-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: inputFile) }
        try Data(instants.map { "@\($0)\n" }.joined().utf8).write(to: inputFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/date")
        process.arguments = ["-f", inputFile.path, "+%z %Z"]
        process.environment = ["TZ": timeZone, "LC_ALL": "C"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let fields = line.split(separator: " ")
            let offset = Int(fields[0])!
            let seconds = (abs(offset) / 100 * 3600 + abs(offset) % 100 * 60) * (fields[0].hasPrefix("-") ? -1 : 1)
            return (seconds, fields.count > 1 ? String(fields[1]) : "")
        }
    }
}
