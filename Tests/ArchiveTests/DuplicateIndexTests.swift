import Archive
import Files
import Testing

@Suite("DuplicateIndex")
struct DuplicateIndexTests {
    let a = String(repeating: "a", count: 64)
    let b = String(repeating: "b", count: 64)

    @Test("entries survive a reload; the first folder recorded wins")
    func reload() throws {
        let state = TemporaryFolder()
        let index = try DuplicateIndex(stateDirectory: state.join("state"))
        #expect(index.lookup(a) == nil)
        #expect(try index.record(a, folder: "/archive/2026-11-26/batch-1"))
        #expect(try !index.record(a.uppercased(), folder: "/archive/2026-11-27/batch-2"))
        #expect(try index.record(b, folder: "/archive/with space/batch 3"))

        let reloaded = try DuplicateIndex(stateDirectory: state.join("state"))
        #expect(reloaded.count == 2)
        #expect(reloaded.lookup(a) == "/archive/2026-11-26/batch-1")
        #expect(reloaded.lookup(a.uppercased()) == "/archive/2026-11-26/batch-1")
        #expect(reloaded.lookup(b) == "/archive/with space/batch 3")
        #expect(reloaded.skippedLines == 0)
        #expect(
            String(decoding: Fixture.read(reloaded.path), as: UTF8.self)
                == "\(a) /archive/2026-11-26/batch-1\n\(b) /archive/with space/batch 3\n"
        )
    }

    @Test("a torn last line (a crash mid-append) is dropped and cut off, so the next append is clean")
    func tornLastLine() throws {
        let state = TemporaryFolder()
        let path = state.join(DuplicateIndex.fileName)
        Fixture.write("\(a) /archive/1\n\(b.prefix(40))", to: path)

        let index = try DuplicateIndex(stateDirectory: state.path)
        #expect(index.count == 1)
        #expect(index.lookup(a) == "/archive/1")
        #expect(index.lookup(b) == nil)
        #expect(index.skippedLines == 1)
        #expect(String(decoding: Fixture.read(path), as: UTF8.self) == "\(a) /archive/1\n")

        try index.record(b, folder: "/archive/2")
        let reloaded = try DuplicateIndex(stateDirectory: state.path)
        #expect(reloaded.lookup(b) == "/archive/2")
        #expect(reloaded.skippedLines == 0)
    }

    @Test("a torn line that is complete but for its newline is still dropped (it was never fsynced)")
    func tornLineWithoutNewline() throws {
        let state = TemporaryFolder()
        Fixture.write("\(a) /archive/1", to: state.join(DuplicateIndex.fileName))
        let index = try DuplicateIndex(stateDirectory: state.path)
        #expect(index.count == 0)
        #expect(Fixture.read(index.path).isEmpty)
    }

    @Test("malformed lines in the middle are skipped, the rest loads")
    func malformedLines() throws {
        let state = TemporaryFolder()
        Fixture.write(
            "garbage\n\(a) /archive/1\n\n\(String(repeating: "z", count: 64)) /x\n\(b)\n\(b) /archive/2\n",
            to: state.join(DuplicateIndex.fileName))
        let index = try DuplicateIndex(stateDirectory: state.path)
        #expect(index.count == 2)
        #expect(index.lookup(b) == "/archive/2")
        #expect(index.skippedLines == 4)
    }

    @Test("bad hashes and folders with line breaks are refused")
    func invalidEntries() throws {
        let state = TemporaryFolder()
        let index = try DuplicateIndex(stateDirectory: state.path)
        #expect(throws: FileError.self) { try index.record("abc", folder: "/x") }
        #expect(throws: FileError.self) { try index.record(String(repeating: "g", count: 64), folder: "/x") }
        #expect(throws: FileError.self) { try index.record(a, folder: "/x\n\(b) /y") }
        #expect(throws: FileError.self) { try index.record(a, folder: "") }
        #expect(index.count == 0)
        #expect(Fixture.read(index.path).isEmpty)
    }

    @Test("records from many tasks at once all land, one line each")
    func concurrentRecords() async throws {
        let state = TemporaryFolder()
        let index = try DuplicateIndex(stateDirectory: state.path)
        let hashes = (0..<64).map { String(repeating: "c", count: 62) + (($0 < 16 ? "0" : "") + String($0, radix: 16)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for hash in hashes {
                group.addTask { try index.record(hash, folder: "/archive/\(hash.suffix(2))") }
            }
            try await group.waitForAll()
        }
        let reloaded = try DuplicateIndex(stateDirectory: state.path)
        #expect(reloaded.count == 64)
        #expect(Fixture.read(reloaded.path).filter { $0 == UInt8(ascii: "\n") }.count == 64)
    }
}
