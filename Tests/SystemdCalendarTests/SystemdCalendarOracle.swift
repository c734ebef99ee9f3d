import Foundation
import Glibc

/// Asks the real `systemd-analyze calendar` about an expression, in a child process with its own
/// `TZ`, so nothing in this process depends on or changes the time zone.
struct SystemdCalendarOracle {
    /// What systemd printed for one expression at one base time.
    struct Answer: Equatable, CustomStringConvertible {
        /// "Normalized form:", or nil if systemd refused the expression.
        var normalized: String?
        /// "Next elapse:" and "Iter. #N:" in Unix seconds (systemd prints whole seconds).
        var elapses: [Int]
        /// Whether the elapses stopped early ("never", or a calculation error) rather than at the
        /// requested number of iterations.
        var endedEarly: Bool

        var description: String {
            "normalized: \(normalized ?? "refused"), elapses: \(elapses)\(endedEarly ? " (no more)" : "")"
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `INFERWATCHER_SYSTEMD_ANALYZE` overrides it (a missing path uses the recorded answers).
    static let executablePath =
        ProcessInfo.processInfo.environment["INFERWATCHER_SYSTEMD_ANALYZE"] ?? "/usr/bin/systemd-analyze"

    static var isAvailable: Bool {
        access(executablePath, X_OK) == 0
    }

    /// The version line, e.g. "systemd 252 (252.39-1~deb12u2)".
    static func version() throws -> String {
        let output = try run(arguments: ["--version"], timeZone: "UTC")
        return String(output.standardOutput.split(separator: "\n").first ?? "")
    }

    /// `TZ=<timeZone> systemd-analyze calendar --iterations=<n> --base-time=@<seconds> -- <expression>`.
    ///
    /// systemd prints nothing but an error when a calculation fails ("Infinite loop in calendar
    /// calculation"); then the elapses before the failure are found with fewer iterations, and the
    /// answer ends early there.
    static func answer(
        for expression: String, timeZone: String, baseTime: Int, iterations: Int
    ) throws -> Answer {
        var count = iterations
        while true {
            if let answer = try answer(for: expression, timeZone: timeZone, baseTime: baseTime, exactly: count) {
                return count < iterations
                    ? Answer(normalized: answer.normalized, elapses: answer.elapses, endedEarly: true) : answer
            }
            guard count > 0 else {
                throw Failure(description: "systemd-analyze fails for \"\(expression)\" at any iteration count")
            }
            count -= 1
        }
    }

    /// Nil when systemd failed to calculate one of the elapses.
    private static func answer(
        for expression: String, timeZone: String, baseTime: Int, exactly iterations: Int
    ) throws -> Answer? {
        let output = try run(
            arguments: ["calendar", "--iterations=\(iterations)", "--base-time=@\(baseTime)", "--", expression],
            timeZone: timeZone)
        var answer = Answer(normalized: nil, elapses: [], endedEarly: false)
        let lines = output.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (number, line) in lines.enumerated() {
            if line.hasPrefix("Normalized form: ") {
                answer.normalized = String(line.dropFirst("Normalized form: ".count))
            } else if line == "Next elapse: never" {
                answer.endedEarly = true
            } else if line.hasPrefix("Next elapse: ") || line.hasPrefix("Iter. #") {
                let local = String(line[line.index(after: line.firstIndex(of: ":")!)...]).trimmingCharacters(
                    in: .whitespaces)
                // Outside UTC the next line repeats the instant in UTC, which is unambiguous.
                let utc: String
                if number + 1 < lines.count, lines[number + 1].hasPrefix("(in UTC): ") {
                    utc = String(lines[number + 1].dropFirst("(in UTC): ".count))
                } else {
                    utc = local
                }
                let instant = try unixTime(of: utc)
                try checkLocalTime(local, is: instant, in: timeZone)
                answer.elapses.append(instant)
            }
        }
        if answer.normalized == nil {
            if output.status != 0 && output.standardError.contains("Failed to determine next elapse") { return nil }
            guard output.status != 0, output.standardError.contains("Failed to parse calendar specification") else {
                throw Failure(description: "unexpected output for \"\(expression)\": \(output)")
            }
            return answer
        }
        if answer.elapses.count < iterations { answer.endedEarly = true }
        return answer
    }

    /// Unix seconds of "Sun 2026-03-29 01:30:00 UTC".
    private static func unixTime(of text: String) throws -> Int {
        let fields = text.split(separator: " ")
        guard fields.count == 4, fields[3] == "UTC" else {
            throw Failure(description: "unexpected UTC time \"\(text)\"")
        }
        let date = fields[1].split(separator: "-").compactMap { Int($0) }
        let clock = fields[2].split(separator: ":").compactMap { Int($0) }
        guard date.count == 3, clock.count == 3 else { throw Failure(description: "unexpected time \"\(text)\"") }
        var broken = tm()
        broken.tm_year = Int32(date[0] - 1900)
        broken.tm_mon = Int32(date[1] - 1)
        broken.tm_mday = Int32(date[2])
        broken.tm_hour = Int32(clock[0])
        broken.tm_min = Int32(clock[1])
        broken.tm_sec = Int32(clock[2])
        return timegm(&broken)
    }

    /// Checks the local wall-clock time systemd printed against Foundation's idea of the zone,
    /// so that a misread line can't pass unnoticed.
    private static func checkLocalTime(_ local: String, is instant: Int, in timeZone: String) throws {
        // Only zones Foundation knows by name can be checked (not POSIX rules such as "CET-1CEST").
        guard let zone = TimeZone(identifier: timeZone) else { return }
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
        let fields = local.split(separator: " ")
        let wall = try unixTime(of: fields.dropLast().joined(separator: " ") + " UTC")
        guard wall - instant == offset else {
            throw Failure(description: "\"\(local)\" is not \(instant) in \(timeZone) (offset \(offset))")
        }
    }

    private struct Output: CustomStringConvertible {
        var status: Int32
        var standardOutput: String
        var standardError: String

        var description: String { "exit \(status), stdout: \(standardOutput), stderr: \(standardError)" }
    }

    private static func run(arguments: [String], timeZone: String) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = arguments
        process.environment = ["TZ": timeZone, "LANG": "C", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": "cat"]
        let standardOutput = Pipe()
        let standardError = Pipe()
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        let error = standardError.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            standardOutput: String(decoding: output, as: UTF8.self),
            standardError: String(decoding: error, as: UTF8.self))
    }
}
