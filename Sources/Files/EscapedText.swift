extension String {
    /// Bytes from outside (a field of an input, a header, a file name) made safe to put in a message,
    /// a log line or the journal: valid UTF-8 stays as it is, except that control characters and
    /// bytes that are not UTF-8 become `\xNN` and a backslash becomes `\\`; after `limit` bytes of
    /// input the rest is cut and `…` added. With `escapingBackslash` false a backslash stays as it
    /// is, for text that is already escaped (a non-UTF-8 header name's spelling) and must not be
    /// escaped twice.
    public init(escaping bytes: some Collection<UInt8>, limit: Int = 200, escapingBackslash: Bool = true) {
        var text = ""
        let kept = Array(bytes.prefix(limit))
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = kept.makeIterator()
        var position = 0
        func hex(_ byte: UInt8) -> String { "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) }
        decoding: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                position += encoded.count
                let scalar = Unicode.UTF8.decode(encoded)
                if scalar == "\\" && escapingBackslash {
                    text += "\\\\"
                } else if scalar.properties.generalCategory == .control {
                    text += encoded.map(hex).joined()
                } else {
                    text.unicodeScalars.append(scalar)
                }
            case .error(let length):
                text += kept[position..<position + length].map(hex).joined()
                position += length
            case .emptyInput:
                break decoding
            }
        }
        if bytes.count > limit { text += "…" }
        self = text
    }
}
