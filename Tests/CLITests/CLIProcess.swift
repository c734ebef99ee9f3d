import Foundation
import Testing

/// Runs the built `inferwatcher` binary and captures what it prints.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLI {
    /// The binary built beside this test bundle (`swift build --build-tests` builds both).
    static let binary: String = {
        if let explicit = ProcessInfo.processInfo.environment["INFERWATCHER_BIN"] { return explicit }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = me.deletingLastPathComponent()
        while folder.path != "/" && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("inferwatcher").path) {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("inferwatcher").path
    }()

    static let repository: String = {
        let file = "\(#filePath)"
        return String(file[..<file.range(of: "/Tests/CLITests/")!.lowerBound])
    }()

    static func fixtureModel(_ name: String) -> String { "\(repository)/Tests/EngineTests/Fixtures/models/\(name).onnx" }

    static func run(_ arguments: [String], in directory: String? = nil, stdin: String? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = stdin.map { _ in Pipe() }
        if let input { process.standardInput = input }
        try process.run()
        if let input, let stdin {
            // Written on its own thread, so a large input cannot block against a full output pipe.
            let handle = input.fileHandleForWriting
            Thread.detachNewThread {
                handle.write(Data(stdin.utf8))
                try? handle.close()
            }
        }
        // Read both pipes while the process runs, so a large output can't block it.
        let outData = DataReader(out.fileHandleForReading)
        let errData = DataReader(err.fileHandleForReading)
        process.waitUntilExit()
        return CLIResult(
            status: process.terminationStatus, stdout: String(decoding: outData.finish(), as: UTF8.self),
            stderr: String(decoding: errData.finish(), as: UTF8.self))
    }
}

/// Drains a pipe on a background thread.
final class DataReader: @unchecked Sendable {
    private let handle: FileHandle
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        self.handle = handle
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func finish() -> Data {
        done.wait()
        return data
    }
}

/// A temporary folder removed when the value goes away.
final class Scratch {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "inferwatcher-cli-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let full = "\(path)/\(name)"
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        return full
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: "\(path)/\(name)").map { String(decoding: $0, as: UTF8.self) }
    }
}
