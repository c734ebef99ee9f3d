import Checksum
import Glibc
import Testing

@testable import Files

/// A fresh folder under /tmp, removed with everything in it when the value goes away.
final class TemporaryFolder {
    let path: String

    init() throws {
        var template = Array("/tmp/iw-files-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        path = String(cString: made!)
    }

    deinit { try? FileTree.removeTree(path) }
}

/// `count` bytes that look random and are the same on every run (a multiplicative hash of the
/// index and `seed`).
func scrambledBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    (0..<count).map { index in UInt8(truncatingIfNeeded: (UInt64(index) &+ seed) &* 0x9E37_79B9_7F4A_7C15 >> 56) }
}

/// The streaming atomic writer: renamed into place only on commit, whole, also when it is large
/// enough for early writeback to start along the way.
@Suite("AtomicFileWriter")
struct AtomicFileWriterTests {
    @Test("a file of several writeback strides, written in uneven pieces, is published whole")
    func largeFileIsPublishedWhole() throws {
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/out.csv"
        let total = AtomicFileWriter.writebackStride * 5 / 2 + 12_345
        let bytes = scrambledBytes(total, seed: 6)
        let file = try AtomicFileWriter(path: path)
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
        #expect(try FileContents.read(path) == bytes)
        #expect(access(file.temporaryPath, F_OK) != 0)
    }

    @Test("a file never committed leaves nothing behind")
    func abandonedFileIsRemoved() throws {
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/out.csv"
        var temporary = ""
        do {
            let file = try AtomicFileWriter(path: path)
            temporary = file.temporaryPath
            try file.write(Array(repeating: UInt8(ascii: "x"), count: AtomicFileWriter.writebackStride + 1))
            #expect(access(temporary, F_OK) == 0)
        }
        #expect(access(temporary, F_OK) != 0)
        #expect(access(path, F_OK) != 0)
    }
}

@Suite("Files: digests, atomic text, folders, errors")
struct FilesTests {
    @Test("FileDigest(of:) is the size and SHA-256 of the bytes, streamed in blocks")
    func digest() throws {
        let folder = try TemporaryFolder()
        let bytes = scrambledBytes((3 << 20) + 17, seed: 9)
        try AtomicFile.write(bytes, to: folder.path, name: "blob")
        let digest = try FileDigest(of: folder.path + "/blob")
        #expect(digest == FileDigest(size: bytes.count, sha256: SHA256.hex(of: bytes)))
    }

    @Test("AtomicFile.write replaces a file whole and leaves no temporary file")
    func atomicText() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/status.json"
        try AtomicFile.write("one\n", to: path)
        try AtomicFile.write("two\n", to: path)
        #expect(try FileContents.text(path) == "two\n")
        #expect(try FileTree.list(folder.path) == ["status.json"])
    }

    @Test("makeDirectories creates every missing parent, and refuses a file in the way")
    func makeDirectories() throws {
        let folder = try TemporaryFolder()
        try FileTree.makeDirectories(folder.path + "/a/b/c")
        #expect(try FileTree.status(folder.path + "/a/b/c").map(FileTree.isDirectory) == true)
        try AtomicFile.write("x", to: folder.path + "/a/file")
        let error = #expect(throws: FileError.self) { try FileTree.makeDirectories(folder.path + "/a/file/d") }
        #expect(error?.code == .exists || error?.code == .notFound)
    }

    @Test("errors name the path, the system's words, the errno and a hint")
    func errorText() throws {
        let error = #expect(throws: FileError.self) { try FileContents.read("/nonexistent/iw/x.csv") }
        #expect(error?.code == .notFound)
        #expect(error?.description == "/nonexistent/iw/x.csv: cannot open for reading: No such file or directory (errno 2)")
        let full = FileError.system("cannot write", path: "/x", errno: ENOSPC)
        #expect(full.isNoSpace)
        #expect(full.description.hasPrefix("/x: cannot write: No space left on device (errno 28); free space"))
    }

    @Test("names: the last component and the parent of a path")
    func names() {
        #expect(FileTree.name(of: "/a/b/c.csv") == "c.csv")
        #expect(FileTree.name(of: "c.csv") == "c.csv")
        #expect(FileTree.parent(of: "/a/b/c.csv") == "/a/b")
        #expect(FileTree.parent(of: "c.csv") == ".")
    }

    @Test("a file written with permissions has exactly that mode, whatever the umask")
    func permissionsOverrideTheUmask() throws {
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/metrics.prom"
        // 0604 is a mode no umask makes of 0666 (changing the umask here would race the other
        // tests of this process), so it shows that the mode was set, not left to the umask.
        try AtomicFile.write(Array("a 1\n".utf8), to: path, durable: false, permissions: 0o604)
        var info = stat()
        try #require(stat(path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o604)
        #expect(try FileContents.read(path) == Array("a 1\n".utf8))
        try AtomicFile.write(Array("b 2\n".utf8), to: path, durable: false, permissions: 0o644)
        try #require(stat(path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o644)
        #expect(try FileTree.list(folder.path) == ["metrics.prom"], "no temporary file left")
    }
}
