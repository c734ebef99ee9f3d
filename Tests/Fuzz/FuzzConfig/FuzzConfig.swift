// libFuzzer target: the YAML configuration loader (scripts/fuzz.sh builds and runs it).
//
// Text in, a `DaemonConfig` or a `ConfigError` out, never a crash. The bytes go through
// `ConfigLoader.load(path:)`, so its size bound applies as it does to the real file.
import CLibFuzzer
import Glibc
import InferWatcherDaemon

private let path: String = {
    var template = Array("/tmp/fuzz-config-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return directory + "/inferwatcher.yaml"
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
    do {
        _ = try ConfigLoader.load(path: path)
    } catch {
        _ = error.description
    }
    return 0
}

/// The executable's entry point (SwiftPM renames `main` to `FuzzConfig_main`): libFuzzer's driver.
@_cdecl("FuzzConfig_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
