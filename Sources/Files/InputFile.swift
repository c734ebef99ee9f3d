import Glibc

/// A file opened for reading with large reads straight into a growing byte array: the engine's
/// CSV input.
public final class InputFile {
    /// The path it was opened by.
    public let path: String
    private let file: OpenFile
    /// The file's size when it was opened (for progress), or nil for pipes.
    public let size: Int?

    /// Opens `path` for sequential reading; `-` is standard input.
    public init(path: String) throws(FileError) {
        self.path = path
        file = path == "-" ? try OpenFile.standardInput() : try OpenFile.openForReading(path)
        let info = try file.status()
        size = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
    }

    /// Appends up to `count` bytes to `buffer`; returns how many were read (0 at end of file).
    public func read(into buffer: inout [UInt8], count: Int) throws(FileError) -> Int {
        let start = buffer.count
        var got = 0
        var failure: FileError?
        // Read straight into a new array's storage (one memcpy of what `buffer` held, no zero fill).
        let grown = [UInt8](unsafeUninitializedCapacity: start + count) { storage, initialized in
            buffer.withUnsafeBufferPointer { old in
                if start > 0 { storage.baseAddress!.initialize(from: old.baseAddress!, count: start) }
            }
            let free = UnsafeMutableRawBufferPointer(start: storage.baseAddress! + start, count: count)
            do throws(FileError) { got = try file.read(into: free) } catch { failure = error }
            initialized = start + got
        }
        buffer = grown
        if let failure { throw failure }
        return got
    }
}
