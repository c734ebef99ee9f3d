/// How an input's bytes are encoded, told by its first bytes (the name is only a convention).
public enum InputEncoding: String, Sendable {
    /// CSV text as is.
    case plain
    /// CSV in gzip members (RFC 1952), one or several, as `gzip` and `pigz` write `.csv.gz`.
    case gzip
    /// CSV in zstd frames, one or several, as `zstd` writes `.csv.zst`.
    case zstd
    /// A Parquet file (`PAR1` at both ends).
    case parquet

    /// The encoding whose magic number `prefix` starts with; plain when none matches.
    public static func sniff(_ prefix: some Collection<UInt8>) -> InputEncoding {
        let head = Array(prefix.prefix(4))
        if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B { return .gzip }
        if head == [0x28, 0xB5, 0x2F, 0xFD] { return .zstd }
        if head == Array("PAR1".utf8) { return .parquet }
        return .plain
    }

    /// The encoding of the file at `path`, from its first four bytes; plain for standard input
    /// (`-`), which cannot be read twice.
    public static func of(path: String) throws(FileError) -> InputEncoding {
        guard path != "-" else { return .plain }
        let file = try OpenFile.openForReading(path)
        defer { try? file.close() }
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 1)
        defer { head.deallocate() }
        var count = 0
        while count < 4 {
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: head[count...]))
            if got == 0 { break }
            count += got
        }
        return sniff(UnsafeRawBufferPointer(rebasing: head[..<count]))
    }
}
