import Glibc

/// Helpers on the tests' temporary folder (declared in Model/ModelTestSupport.swift).
extension TemporaryFolder {
    func file(_ name: String, _ contents: String) -> String {
        let full = "\(path)/\(name)"
        write(full, Array(contents.utf8))
        return full
    }

    func write(_ full: String, _ bytes: [UInt8]) {
        let file = fopen(full, "wb")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }

    func read(_ name: String) -> String? {
        guard let file = fopen(name.hasPrefix("/") ? name : "\(path)/\(name)", "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            bytes.append(contentsOf: buffer[0..<n])
            if n < buffer.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A small deterministic generator for tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
