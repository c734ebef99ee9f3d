import Archive
import Files
import Glibc
import Testing

@Suite("JobID")
struct JobIDTests {
    let content = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    @Test("is the first 12 hex digits of sha256(\"<content sha256>:<arrival ns>\"), as documented")
    func definition() {
        let expected = Shell.output("printf '%s' '\(content):1795000000123456789' | sha256sum | cut -c1-12")
        #expect(JobID.make(contentSHA256: content, arrivalNanoseconds: 1_795_000_000_123_456_789) == expected)
        #expect(
            JobID.make(contentSHA256: content.uppercased(), arrivalNanoseconds: 1_795_000_000_123_456_789) == expected)
    }

    @Test("is stable for the same content and arrival, different otherwise, and a valid folder name")
    func stability() {
        let one = JobID.make(contentSHA256: content, arrival: 1_795_000_000.5)
        #expect(one == JobID.make(contentSHA256: content, arrival: 1_795_000_000.5))
        #expect(one == JobID.make(contentSHA256: content, arrivalNanoseconds: 1_795_000_000_500_000_000))
        #expect(one != JobID.make(contentSHA256: content, arrival: 1_795_000_000.501))
        #expect(one != JobID.make(contentSHA256: String(repeating: "0", count: 64), arrival: 1_795_000_000.5))
        #expect(one.utf8.count == JobID.length)
        #expect(one.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(JobID.isValid(one))
        #expect(
            !JobID.isValid("a/b") && !JobID.isValid("") && !JobID.isValid(".x")
                && !JobID.isValid(String(repeating: "a", count: 65)))
        #expect(JobID.make(contentSHA256: content, arrival: .nan).utf8.count == 12)
    }
}

@Suite("AtomicFile")
struct AtomicFileTests {
    @Test("write creates and then replaces a file, leaving no temporary file")
    func writeAndReplace() throws {
        let folder = TemporaryFolder()
        try AtomicFile.write(Array("first\n".utf8), to: folder.path, name: "status.json")
        try AtomicFile.write(Array("second\n".utf8), to: folder.path, name: "status.json")
        #expect(Fixture.read(folder.join("status.json")) == Array("second\n".utf8))
        #expect(Fixture.list(folder.path) == ["status.json"])
    }

    @Test("copy streams a file and returns its size and sha256")
    func copy() throws {
        let folder = TemporaryFolder()
        let source = folder.join("source.bin")
        Fixture.write(Fixture.randomBytes(3 << 20 + 17), to: source)
        let digest = try AtomicFile.copy(from: source, to: folder.path, name: "copy.bin")
        #expect(digest.size == 3 << 20 + 17)
        #expect(digest.sha256 == Shell.sha256(ofFile: source))
        #expect(Shell.run("cmp -s \(Shell.quote(source)) \(Shell.quote(folder.join("copy.bin")))").status == 0)
        #expect(Fixture.list(folder.path) == ["copy.bin", "source.bin"])
    }

    @Test("names that are not plain file names are refused", arguments: ["", ".", "..", "a/b", ".hidden"])
    func badNames(name: String) {
        let folder = TemporaryFolder()
        let error = #expect(throws: FileError.self) { try AtomicFile.write([1], to: folder.path, name: name) }
        #expect(error?.code == .invalid)
        #expect(Fixture.list(folder.path).isEmpty)
    }

    @Test("a missing folder is reported as notFound with its path")
    func missingFolder() {
        let folder = TemporaryFolder()
        let error = #expect(throws: FileError.self) {
            try AtomicFile.write([1], to: folder.join("missing"), name: "x")
        }
        #expect(error?.code == .notFound)
        #expect(error?.path?.hasPrefix(folder.join("missing")) == true)
    }
}
