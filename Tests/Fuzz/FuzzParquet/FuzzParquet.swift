// libFuzzer target: the Parquet reader (scripts/fuzz.sh builds and runs it).
//
// Bytes in a file; `ParquetFile(path:)` then `readColumn` for every row group and column, and
// every value read back as text: a typed `ParquetError` or data, never a crash, a hang or a huge
// allocation.
import CLibFuzzer
import Glibc
import Parquet

private let path: String = {
    var template = Array("/tmp/fuzz-parquet-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return directory + "/input.parquet"
}()

private func write(_ bytes: UnsafeBufferPointer<UInt8>, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    var done = 0
    while done < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
        precondition(n > 0, "cannot write \(path)")
        done += n
    }
    close(fd)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    write(UnsafeBufferPointer(start: data, count: size), to: path)
    let file: ParquetFile
    do { file = try ParquetFile(path: path) } catch { return 0 }
    for rowGroup in file.rowGroups.indices {
        for column in file.columns.indices {
            do {
                let values = try file.readColumn(rowGroup: rowGroup, column: column)
                precondition(values.rowCount == file.rowGroups[rowGroup].rowCount, "a column chunk with the wrong row count")
                var text: [UInt8] = []
                for row in 0..<values.rowCount {
                    if !values.isNull(row) { values.appendText(row, to: &text) }
                    text.removeAll(keepingCapacity: true)
                }
            } catch {
                _ = error.description
            }
        }
    }
    return 0
}

/// The executable's entry point (SwiftPM renames `main` to `FuzzParquet_main`): libFuzzer's driver.
@_cdecl("FuzzParquet_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
