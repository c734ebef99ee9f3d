import Glibc
import Testing

/// A fresh folder under /tmp for one test, removed when the value is released.
final class TemporaryFolder {
    let path: String

    init(_ label: String = "archive-tests") {
        var template = Array("/tmp/\(label).XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed: errno \(errno)")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { _ = Shell.run("rm -rf \(Shell.quote(path))") }

    /// `path/name`.
    func join(_ name: String) -> String { "\(path)/\(name)" }
}

/// Runs shell commands for independent checks (sha256sum, zstd, gzip, date), never through the code under test.
enum Shell {
    /// Runs `command` with /bin/sh; returns its exit status and standard output.
    @discardableResult
    static func run(_ command: String) -> (status: Int32, output: String) {
        guard let pipe = popen(command, "r") else { return (-1, "") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, pipe)
            if count <= 0 { break }
            output.append(contentsOf: buffer[0..<count])
        }
        let status = pclose(pipe)
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }

    /// The standard output of a command that must succeed, without the trailing newline.
    static func output(_ command: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let result = run(command)
        #expect(result.status == 0, "command failed: \(command)", sourceLocation: sourceLocation)
        var text = result.output
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// `text` quoted for /bin/sh.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The SHA-256 of a file, by `sha256sum`.
    static func sha256(ofFile path: String) -> String {
        String(output("sha256sum \(quote(path))").prefix(64))
    }

    /// The SHA-256 of a decompressed file (`zstd -dc` / `gzip -dc` / `cat`), by `sha256sum`.
    static func sha256(decompressing path: String, with tool: String) -> String {
        String(output("\(tool) \(quote(path)) | sha256sum").prefix(64))
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// Small file helpers for test fixtures, written without the code under test.
enum Fixture {
    /// Writes `bytes` to `path`, replacing it.
    static func write(_ bytes: [UInt8], to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(fd >= 0, "cannot create \(path): errno \(errno)")
        defer { close(fd) }
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0, "cannot write \(path): errno \(errno)")
                done += n
            }
        }
    }

    /// Writes `text` to `path`, replacing it.
    static func write(_ text: String, to path: String) { write(Array(text.utf8), to: path) }

    /// The whole contents of a (small) file.
    static func read(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        precondition(fd >= 0, "cannot open \(path): errno \(errno)")
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return bytes
    }

    /// True when something (file, folder, symlink) is at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The sorted names in a folder (hidden ones included, without "." and "..").
    static func list(_ path: String) -> [String] {
        let output = Shell.output("ls -A1 \(Shell.quote(path))")
        return output.isEmpty ? [] : output.split(separator: "\n").map(String.init).sorted()
    }

    /// A CSV of roughly `rows` rows with a header, deterministic for a given seed.
    static func csv(rows: Int, seed: Int = 1) -> String {
        var text = "user_id,age,income,score\n"
        for row in 0..<rows {
            text += "u\(row),\((row * 7 + seed) % 90),\((row * 7919 + seed) % 100_000).\(row % 100),\(row % 13)\n"
        }
        return text
    }

    /// Writes a CSV-like file of about `megabytes` MB in 1 MB blocks, never holding it whole in memory.
    static func writeLargeCSV(to path: String, megabytes: Int) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(fd >= 0)
        defer { close(fd) }
        var row = 0
        for _ in 0..<megabytes {
            var block: [UInt8] = []
            block.reserveCapacity(1 << 20 + 100)
            while block.count < 1 << 20 {
                block.append(
                    contentsOf: "u\(row),\(row % 97),\((row &* 2_654_435_761) % 1_000_003),x\(row % 31)\n".utf8)
                row += 1
            }
            block.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    precondition(n > 0)
                    done += n
                }
            }
        }
    }

    /// `count` bytes that do not compress (from /dev/urandom).
    static func randomBytes(_ count: Int) -> [UInt8] {
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        precondition(fd >= 0)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
            precondition(n > 0)
            filled += n
        }
        return bytes
    }
}

/// The process's resident-set high-water mark (VmHWM), in kB, and a way to reset it.
enum PeakMemory {
    /// Resets VmHWM to the current RSS (Linux 4.0+, writing "5" to /proc/self/clear_refs); false if not possible.
    static func reset() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Glibc.write(fd, "5", 1) == 1
    }

    /// VmHWM from /proc/self/status, in kB.
    static func highWaterKB() -> Int {
        let status = String(decoding: Fixture.read("/proc/self/status"), as: UTF8.self)
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.filter { $0.isNumber }
            return Int(digits) ?? 0
        }
        return 0
    }
}
