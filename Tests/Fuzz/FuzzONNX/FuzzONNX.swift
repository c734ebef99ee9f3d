import CLibFuzzer
// libFuzzer target: the ONNX loader and graph compiler (scripts/fuzz.sh builds and runs it).
//
// Protobuf bytes in, a model or a typed `ModelError` out: never a crash, a hang (libFuzzer's
// -timeout) or a huge allocation (-rss_limit_mb, -malloc_limit_mb). The bytes are written to a
// model file in a folder of their own, as `ONNXModel.load(path:)` reads a path (and resolves
// external data next to it). A model that loads is also run on a small batch.
import Engine
import Glibc

private let path: String = {
    var template = Array("/tmp/fuzz-onnx-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return directory + "/model.onnx"
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
        let model = try ONNXModel.load(path: path)
        precondition(model.featureCount >= 0 && model.outputWidth >= 0)
    } catch {
        _ = error.description  // every error renders a message
    }
    return 0
}

/// The executable's entry point (SwiftPM renames `main` to `FuzzONNX_main`): libFuzzer's driver.
@_cdecl("FuzzONNX_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
