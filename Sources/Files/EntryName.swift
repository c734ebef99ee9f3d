import Checksum
import Glibc
public import SystemPackage

/// The exact bytes of a name found in a folder, as swift-system's `FilePath.Component`.
///
/// A file name on Linux is any bytes but "/" and NUL; a Swift `String` made from one that is not
/// UTF-8 replaces the bad bytes with U+FFFD and no longer names the file. Names read from a folder
/// others write into (the spool's `incoming/`) are kept as components and turned into text only
/// to be shown.
extension FilePath.Component {
    /// The name's bytes.
    public var bytes: [UInt8] {
        withPlatformString { pointer in
            Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
        }
    }

    /// The name as text, each byte that is not UTF-8 shown as U+FFFD (for logs and JSON `name` fields).
    public var text: String { String(decoding: self) }

    /// True when the bytes are valid UTF-8 (so ``text`` is exact).
    public var isUTF8: Bool { String(validating: self) != nil }

    /// The bytes as lowercase hex (JSON `name_hex` fields).
    public var hex: String { bytes.map { String($0 >> 4, radix: 16) + String($0 & 0xF, radix: 16) }.joined() }

    /// The name whose bytes are given in `hex` (as ``hex`` writes them); nil for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard !digits.isEmpty, digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [CChar] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16), byte != 0 else {
                return nil
            }
            bytes.append(CChar(bitPattern: byte))
        }
        self.init(platformString: bytes + [0])
    }
}

/// Names we derive from a name someone else chose (a claim in `processing/`, a quarantine in
/// `failed/`), so that each fits NAME_MAX and is UTF-8 whatever the original was.
public enum DerivedName {
    /// The longest file name Linux file systems take, in bytes.
    public static let maxBytes = Int(NAME_MAX)

    /// `name` itself when it is UTF-8 and at most `maxBytes` long; otherwise its start (bytes that are
    /// not UTF-8 shown as U+FFFD, cut at a character), `~`, 8 hex digits of the SHA-256 of its exact
    /// bytes and its extension: `nnn…n~1f2e3d4c.csv`. The result is never longer than `maxBytes`
    /// (at least 64).
    public static func fit(_ name: FilePath.Component, maxBytes: Int) -> String {
        if name.isUTF8 && name.bytes.count <= maxBytes { return name.text }
        let bytes = name.bytes
        let extensionLength = Self.extensionLength(bytes)
        let suffix = "~" + String(SHA256.hex(of: bytes).prefix(8)) + String(decoding: bytes.suffix(extensionLength), as: UTF8.self)
        var stem = String(decoding: bytes.dropLast(extensionLength), as: UTF8.self)
        while stem.utf8.count + suffix.utf8.count > maxBytes { stem.removeLast() }
        return stem + suffix
    }

    /// The length of the name's extension: its last one or two `.` suffixes of 1 to 10 ASCII letters
    /// or digits (`.csv`, `.csv.gz`), never the whole name.
    static func extensionLength(_ bytes: [UInt8]) -> Int {
        var length = 0
        for _ in 0..<2 {
            let rest = bytes.dropLast(length)
            guard let dot = rest.lastIndex(of: UInt8(ascii: ".")), dot > rest.startIndex else { break }
            let part = rest[(dot + 1)...]
            guard (1...10).contains(part.count), part.allSatisfy({ $0 < 0x80 && isalnum(Int32($0)) != 0 }) else { break }
            length += part.count + 1
        }
        return length
    }
}
