import Glibc
import Testing

@testable import Engine

/// The output file: renamed into place only on commit, whole, also when it is large enough for
/// early writeback to start along the way.
@Suite("Atomic output file")
struct AtomicOutputFileTests {
    @Test("a file of several writeback strides, written in uneven pieces, is published whole")
    func largeFileIsPublishedWhole() throws {
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/out.csv"
        var generator = SplitMix64(seed: 6)
        let total = AtomicOutputFile.writebackStride * 5 / 2 + 12_345
        var bytes = [UInt8](repeating: 0, count: total)
        bytes.withUnsafeMutableBytes { raw in
            for word in 0..<total / 8 { raw.storeBytes(of: generator.next(), toByteOffset: 8 * word, as: UInt64.self) }
        }
        let file = try AtomicOutputFile(path: path)
        var offset = 0
        var piece = 1
        while offset < total {
            let end = min(offset + piece, total)
            try file.write(Array(bytes[offset..<end]))
            offset = end
            piece = piece * 7 + 3  // 1, 10, 73, ... up to several MiB
        }
        #expect(access(path, F_OK) != 0, "nothing at the final name before commit")
        try file.commit()
        #expect(try readWholeFile(path) == bytes)
        #expect(access(file.temporaryPath, F_OK) != 0)
    }

    @Test("a file never committed leaves nothing behind")
    func abandonedFileIsRemoved() throws {
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/out.csv"
        var temporary = ""
        do {
            let file = try AtomicOutputFile(path: path)
            temporary = file.temporaryPath
            try file.write(Array(repeating: UInt8(ascii: "x"), count: AtomicOutputFile.writebackStride + 1))
            #expect(access(temporary, F_OK) == 0)
        }
        #expect(access(temporary, F_OK) != 0)
        #expect(access(path, F_OK) != 0)
    }
}
