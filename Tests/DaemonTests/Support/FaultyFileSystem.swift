import Files
import Glibc
import Synchronization
import SystemPackage

@testable import InferWatcherDaemon

/// The real file system with faults a test arms: the next `count` moves (or atomic writes) whose
/// target path contains a given text fail with a given errno.
final class FaultyFileSystem: SpoolFileSystem {
    private struct Fault {
        let operation: String
        let pathContains: String
        let errno: Int32
        var remaining: Int
    }

    private let real = LocalFileSystem()
    private let faults = Mutex<[Fault]>([])

    /// Makes the next `count` calls of `operation` ("move" or "write") whose target contains
    /// `text` fail with `errno`.
    func fail(_ operation: String, whereTargetContains text: String, errno: Int32, times count: Int = 1) {
        faults.withLock { $0.append(Fault(operation: operation, pathContains: text, errno: errno, remaining: count)) }
    }

    private func injected(_ operation: String, _ path: String) -> FileError? {
        faults.withLock { faults in
            guard let index = faults.firstIndex(where: { $0.operation == operation && $0.remaining > 0 && path.contains($0.pathContains) })
            else { return nil }
            faults[index].remaining -= 1
            return FileError.system("cannot \(operation) (injected)", path: path, errno: faults[index].errno)
        }
    }

    func makeFolder(_ path: String) throws(FileError) { try real.makeFolder(path) }
    func entry(folder: String, name: FilePath.Component) -> SpoolEntry? { real.entry(folder: folder, name: name) }
    func entries(in folder: String) -> [FilePath.Component] { real.entries(in: folder) }
    func names(in folder: String) -> [String] { real.names(in: folder) }
    func sync(folder: String) { real.sync(folder: folder) }
    func remove(_ path: String) { real.remove(path) }
    func removeTree(_ path: String) { real.removeTree(path) }
    func exists(_ path: String) -> Bool { real.exists(path) }
    func readText(_ path: String) throws(FileError) -> String { try real.readText(path) }

    func move(_ from: FilePath, to: FilePath) throws(FileError) {
        if let error = injected("move", to.string) { throw error }
        try real.move(from, to: to)
    }

    func write(_ text: String, to path: String, durable: Bool) throws(FileError) {
        if let error = injected("write", path) { throw error }
        try real.write(text, to: path, durable: durable)
    }
}
