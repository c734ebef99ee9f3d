// libFuzzer target: the calendar expression parser (scripts/fuzz.sh builds and runs it).
//
// Text in, a `CalendarSchedule` or a `ScheduleError` out, never a crash or a hang. A schedule
// that parses must parse again from its normalized form to the same schedule, and its next
// elapses from a few instants must lie after them.
import CLibFuzzer
import Glibc
import SystemdCalendar

/// Writes `message` to standard error (not `fputs(_, stderr)`: `stderr` is a shared mutable C global).
private func printError(_ message: String) {
    var bytes = Array(message.utf8)
    bytes.withUnsafeMutableBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}

private let instants: [Double] = [0, 951_782_400, 1_700_000_000.5, 4_102_444_800]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size <= 4096 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let schedule: CalendarSchedule
    do { schedule = try CalendarSchedule(parsing: text) } catch { return 0 }
    let normalized = schedule.normalized
    do {
        let again = try CalendarSchedule(parsing: normalized)
        if again.normalized != normalized {
            printError(
                "FuzzCalendar: \(text.debugDescription) normalizes to \(normalized.debugDescription), which normalizes to \(again.normalized.debugDescription)\n"
            )
            abort()
        }
    } catch {
        printError("FuzzCalendar: \(text.debugDescription) normalizes to \(normalized.debugDescription), which does not parse: \(error)\n")
        abort()
    }
    for instant in instants {
        if let next = schedule.nextElapse(after: instant), !(next > instant) {
            printError("FuzzCalendar: \(normalized.debugDescription) after \(instant) elapses at \(next)\n")
            abort()
        }
    }
    return 0
}

/// The executable's entry point (SwiftPM renames `main` to `FuzzCalendar_main`): libFuzzer's driver.
@_cdecl("FuzzCalendar_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
