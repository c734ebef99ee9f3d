import CLibFuzzer
// libFuzzer target: the decimal parser against strtod (scripts/fuzz.sh builds and runs it).
//
// On the grammar both accept (after our trimming of spaces and tabs: sign, digits, point,
// exponent), the value must be bit-identical to strtod's. Our own rejections are checked apart:
// nan/inf/infinity words are `.nonFinite` (strtod reads them as non-finite), hexadecimal
// numbers, which strtod reads, are `.notANumber`. The plain-field fast path must give
// Float(the same Double).
import Engine
import Glibc

/// Writes `message` to standard error (not `fputs(_, stderr)`: `stderr` is a shared mutable C global).
private func printError(_ message: String) {
    var bytes = Array(message.utf8)
    bytes.withUnsafeMutableBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}

private func fail(_ message: String) -> Never {
    printError("FuzzDecimal: \(message)\n")
    abort()
}

/// strtod of all of `bytes`: its value, or nil when it stops before the end (or reads nothing).
private func strtodWhole(_ bytes: ArraySlice<UInt8>) -> Double? {
    guard !bytes.isEmpty, !bytes.contains(0) else { return nil }
    var text = Array(bytes.map { CChar(bitPattern: $0) })
    text.append(0)
    return text.withUnsafeMutableBufferPointer { buffer -> Double? in
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(buffer.baseAddress!, &end)
        return end == buffer.baseAddress! + (buffer.count - 1) ? value : nil
    }
}

private func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let all = Array(bytes)
    var trimmed = all[...]
    while let first = trimmed.first, isSpaceOrTab(first) { trimmed = trimmed.dropFirst() }
    while let last = trimmed.last, isSpaceOrTab(last) { trimmed = trimmed.dropLast() }
    let ours = CSVFuzzEntryPoints.parseDecimal(bytes)
    // strtod's grammar beyond ours: leading isspace() other than space and tab, hex, nan(...).
    let strtodOnly =
        trimmed.first.map { $0 == 0x0A || $0 == 0x0B || $0 == 0x0C || $0 == 0x0D } ?? false
        || trimmed.contains { $0 | 0x20 == UInt8(ascii: "x") || $0 == UInt8(ascii: "(") }
    let theirs = strtodWhole(trimmed)
    let isWord = trimmed.contains { $0 | 0x20 == UInt8(ascii: "n") || $0 | 0x20 == UInt8(ascii: "i") }
    let text = String(decoding: all, as: UTF8.self).debugDescription

    switch ours {
    case .empty:
        if !trimmed.isEmpty { fail("\(text) is not empty") }
    case .number(let value):
        guard let theirs else { fail("\(text): ours \(value), strtod does not read it whole") }
        if value.bitPattern != theirs.bitPattern { fail("\(text): ours \(value), strtod \(theirs)") }
    case .nonFinite:
        guard let theirs, !theirs.isFinite else { fail("\(text): ours non-finite, strtod \(String(describing: theirs))") }
        if !isWord { fail("\(text): non-finite without a nan/inf word") }
    case .notANumber:
        // Only strtod's extensions may be read by strtod: hex, nan(chars), other spaces.
        if let theirs, !strtodOnly {
            fail("\(text): ours not a number, strtod \(theirs)")
        }
    }

    // The fast path for plain records: `-?digits[.digits]` then `,`/CR/LF/end.
    for last in [false, true] {
        guard let (value, end) = CSVFuzzEntryPoints.parsePlainField(bytes, last: last) else { continue }
        guard end <= size, end > 0 else { fail("\(text): plain field ends at \(end)") }
        var numberEnd = end
        if !last {
            guard bytes[end - 1] == UInt8(ascii: ",") else { fail("\(text): plain field not followed by a comma") }
            numberEnd -= 1
        }
        guard let exact = strtodWhole(all[0..<numberEnd]) else { fail("\(text): plain field strtod cannot read") }
        if value.bitPattern != Float(exact).bitPattern { fail("\(text): plain field \(value), strtod \(Float(exact))") }
    }
    return 0
}

/// The executable's entry point (SwiftPM renames `main` to `FuzzDecimal_main`): libFuzzer's driver.
@_cdecl("FuzzDecimal_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
