import Glibc

/// Small whole-file reads and writes for the CLI (reports, configs), never for CSV data.
package enum TextFile {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package static func read(_ path: String) throws(Failure) -> String {
        guard let file = fopen(path, "rb") else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    package static func write(_ path: String, _ text: String) throws(Failure) {
        guard let file = fopen(path, "wb") else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        var text = text
        let written = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file)
        guard written == text.utf8.count, closed == 0 else {
            throw Failure(description: "\(path): write failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// What a path names.
package enum FileKind {
    case missing, file, directory

    package init(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            self = .missing
            return
        }
        self = (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }
}
