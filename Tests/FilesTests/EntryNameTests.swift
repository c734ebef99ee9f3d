import Glibc
import SystemPackage
import Testing

@testable import Files

/// Names as bytes, the names derived from them, and bytes shown in messages.
@Suite("Entry names")
struct EntryNameTests {
    static func component(_ bytes: [UInt8]) throws -> FilePath.Component {
        try #require(FilePath.Component(platformString: bytes.map { CChar(bitPattern: $0) } + [0]))
    }

    @Test("a name that is UTF-8 and fits is kept as it is")
    func kept() throws {
        #expect(DerivedName.fit(try Self.component(Array("with space.csv".utf8)), maxBytes: 255) == "with space.csv")
        let name = String(repeating: "n", count: 251) + ".csv"
        #expect(DerivedName.fit(try Self.component(Array(name.utf8)), maxBytes: 255) == name)
    }

    @Test("a name too long is cut, keeps its extension and gets a hash of the original")
    func cut() throws {
        let name = try Self.component(Array((String(repeating: "n", count: 240) + ".csv.gz").utf8))
        let fitted = DerivedName.fit(name, maxBytes: 100)
        #expect(fitted.utf8.count == 100)
        #expect(fitted.hasSuffix(".csv.gz"))
        #expect(fitted.hasPrefix("nnnn"))
        let other = try Self.component(Array((String(repeating: "n", count: 241) + ".csv.gz").utf8))
        #expect(DerivedName.fit(other, maxBytes: 100) != fitted, "different names, different hashes")
        #expect(DerivedName.fit(name, maxBytes: 100) == fitted, "the same name, the same result")
    }

    @Test("a name that is not UTF-8 becomes UTF-8 with U+FFFD and a hash; its hex gives back the bytes")
    func notUTF8() throws {
        let bytes = Array("caf".utf8) + [0xE9] + Array(".csv".utf8)
        let name = try Self.component(bytes)
        #expect(!name.isUTF8)
        #expect(name.bytes == bytes)
        #expect(name.text == "caf\u{FFFD}.csv")
        #expect(name.hex == "636166e92e637376")
        #expect(FilePath.Component(hex: name.hex) == name)
        #expect(FilePath.Component(hex: "6a0") == nil)
        let fitted = DerivedName.fit(name, maxBytes: 255)
        #expect(fitted.hasPrefix("caf\u{FFFD}~") && fitted.hasSuffix(".csv") && fitted.utf8.count == 3 + 3 + 1 + 8 + 4)
        let long = try Self.component([UInt8](repeating: 0xFF, count: 251) + Array(".csv".utf8))
        #expect(DerivedName.fit(long, maxBytes: 244).utf8.count <= 244)
    }

    @Test("a folder lists names that are not UTF-8 byte for byte, and they can be stat'ed and renamed")
    func exactListing() throws {
        let folder = try TemporaryFolder()
        let bytes: [UInt8] = [0x61, 0xFF, 0x0A, 0x62]
        let name = try Self.component(bytes)
        let path = FilePath(folder.path).appending(name)
        let fd = path.withPlatformString { open($0, O_CREAT | O_WRONLY, 0o644) }
        try #require(fd >= 0)
        close(fd)
        #expect(try FileTree.entries(folder.path) == [name])
        #expect(try FileTree.status(path) != nil)
        try FileTree.rename(path, to: FilePath(folder.path + "/b"))
        #expect(try FileTree.list(folder.path) == ["b"])
    }

    @Test("bytes shown in a message: control characters and invalid UTF-8 as \\xNN, cut with an ellipsis")
    func escaping() {
        #expect(String(escaping: Array("new\nline\u{7F}".utf8)) == "new\\x0Aline\\x7F")
        #expect(String(escaping: [0x61, 0xE9, 0x62]) == "a\\xE9b")
        #expect(String(escaping: [0xF0, 0x9F, 0x98]) == "\\xF0\\x9F\\x98")
        #expect(String(escaping: Array("é \\ ü".utf8)) == "é \\\\ ü")
        #expect(String(escaping: [UInt8](repeating: 0x41, count: 300)) == String(repeating: "A", count: 200) + "…")
        #expect(String(escaping: [UInt8](repeating: 0x41, count: 10), limit: 10) == String(repeating: "A", count: 10))
    }
}
