import CLibFuzzer
// libFuzzer target: the CSV chunk reader and the record scanner (scripts/fuzz.sh builds and runs it).
//
// The first byte picks the chunk size (64 to 319 bytes, so that records straddle chunks); the rest
// is the file. Checked: the chunks put back together are the file (plain text, byte-order mark
// dropped); offsets and first lines add up; only the last chunk may end without a newline; the
// scanner always moves forward, keeps fields inside the chunk and counts every newline; and each
// chunk ends where the scanner, reading the whole text, ends a record.
import Engine
import Glibc

/// Writes `message` to standard error (not `fputs(_, stderr)`: `stderr` is a shared mutable C global).
private func printError(_ message: String) {
    var bytes = Array(message.utf8)
    bytes.withUnsafeMutableBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}

private let path: String = {
    var template = Array("/tmp/fuzz-csv-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return directory + "/input.csv"
}()

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        printError("FuzzCSV: \(message())\n")
        abort()
    }
}

private func write(_ bytes: UnsafeBufferPointer<UInt8>, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    check(fd >= 0, "cannot create \(path)")
    var done = 0
    while done < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
        check(n > 0, "cannot write \(path)")
        done += n
    }
    close(fd)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size >= 1 else { return 0 }
    let chunkSize = 64 + Int(data[0])
    let file = UnsafeBufferPointer(start: data + 1, count: size - 1)
    write(file, to: path)
    let byteLimit = 16 << 20
    let chunks: [CSVChunk]
    do { chunks = try CSVFuzzEntryPoints.chunks(path: path, chunkSize: chunkSize, byteLimit: byteLimit) } catch {
        return 0  // a corrupt gzip/zstd stream, or Parquet: a typed error is the right answer
    }
    let hasBOM = file.count >= 3 && file[0] == 0xEF && file[1] == 0xBB && file[2] == 0xBF
    let isPlain = !file.starts(with: [0x1F, 0x8B]) && !file.starts(with: [0x28, 0xB5, 0x2F, 0xFD])
    var text: [UInt8] = []
    var line = 1
    for (index, chunk) in chunks.enumerated() {
        check(chunk.index == index, "chunk \(index) says it is \(chunk.index)")
        check(chunk.firstLine == line, "chunk \(index) starts on line \(chunk.firstLine), expected \(line)")
        if isPlain {
            check(chunk.offset == text.count + (hasBOM ? 3 : 0), "chunk \(index) offset \(chunk.offset)")
        }
        check(!chunk.bytes.isEmpty, "chunk \(index) is empty")
        if index < chunks.count - 1 {
            check(chunk.bytes.last == UInt8(ascii: "\n"), "chunk \(index) of \(chunks.count) does not end a line")
        }
        let newlines = chunk.bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        line += newlines

        let records = CSVFuzzEntryPoints.records(in: chunk.bytes)
        var scannedNewlines = 0
        for (r, record) in records.enumerated() {
            check(record.next > record.start, "record at \(record.start) does not move forward")
            check(record.next <= chunk.bytes.count, "record at \(record.start) ends past the chunk")
            check(!record.fields.isEmpty, "record at \(record.start) has no fields")
            for field in record.fields {
                check(
                    record.start <= field.start && field.start <= field.end && field.end <= record.next,
                    "field \(field.start)..<\(field.end) outside its record \(record.start)..<\(record.next)")
            }
            if record.unterminatedQuote {
                check(r == records.count - 1, "an unterminated quote before the chunk's last record")
                check(index == chunks.count - 1, "an unterminated quote in chunk \(index), not the last")
            }
            scannedNewlines += record.newlines
        }
        check(scannedNewlines == newlines, "the scanner counted \(scannedNewlines) newlines in chunk \(index), it has \(newlines)")
        text += chunk.bytes
    }
    let total = text.count
    if isPlain && total <= byteLimit {
        check(text.elementsEqual(hasBOM ? file.dropFirst(3) : file[...]), "the chunks are not the file")
    }
    // Chunk ends are record ends of the whole text.
    if total <= 1 << 20 {
        var recordEnds = Set<Int>()
        for record in CSVFuzzEntryPoints.records(in: text) { recordEnds.insert(record.next) }
        var end = 0
        for chunk in chunks {
            end += chunk.bytes.count
            check(recordEnds.contains(end), "a chunk ends at \(end), inside a record of the whole text")
        }
    }
    return 0
}

/// The executable's entry point (SwiftPM renames `main` to `FuzzCSV_main`): libFuzzer's driver.
@_cdecl("FuzzCSV_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
