import Glibc

/// printf-style formatting of one Double (`"%.4f"`), exactly as C and Python round it.
func cFormat(_ format: String, _ value: Double) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
        let written = withVaList([value]) { vsnprintf(buffer.baseAddress!, 64, format, $0) }
        return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(min(written, 63))), as: UTF8.self)
    }
}

/// An integer with thousands separators: `1,234,567`.
func groupedThousands(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (offset, character) in digits.enumerated() {
        if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return value < 0 ? "-" + result : result
}
