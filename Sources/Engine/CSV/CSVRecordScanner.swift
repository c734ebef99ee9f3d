/// Where one field of a record lies in a chunk of bytes.
///
/// For a quoted field, `start..<end` is the text between the quotes, doubled quotes still doubled.
struct FieldSpan: Sendable {
    var start: Int
    var end: Int
    var flags: UInt8

    static let quoted: UInt8 = 1
    static let hasDoubledQuotes: UInt8 = 2
    static let malformed: UInt8 = 4

    var isQuoted: Bool { flags & Self.quoted != 0 }
    var isMalformed: Bool { flags & Self.malformed != 0 }
    var hasDoubledQuotes: Bool { flags & Self.hasDoubledQuotes != 0 }
    var count: Int { end - start }
}

/// What scanning one record found.
struct ScannedRecord {
    /// Offset of the byte after the record's line end.
    var next: Int
    /// Newlines consumed, including the terminating one (quoted newlines count too).
    var newlines: Int
    /// True if a quoted field was still open at the end of the bytes.
    var unterminatedQuote: Bool
}

/// Splits RFC 4180 records into fields, working on raw bytes.
///
/// Rules: fields are separated by `,` and records by LF or CRLF; a field that starts with `"`
/// is quoted and may hold `,`, newlines and doubled quotes. Quotes anywhere else make the
/// field malformed (the record is still delimited the way ``CSVChunkReader`` cuts chunks:
/// a newline ends a record only after an even number of quotes).
enum CSVRecordScanner {
    private static let comma = UInt8(ascii: ",")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let quote = UInt8(ascii: "\"")

    /// Scans the record at `position`, replacing `fields` with its fields.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from position: Int,
        into fields: inout [FieldSpan]
    ) -> ScannedRecord {
        fields.removeAll(keepingCapacity: true)
        let count = bytes.count
        var p = position
        var newlines = 0
        while true {
            if p < count && bytes[p] == quote {
                // Quoted field.
                var flags = FieldSpan.quoted
                let contentStart = p + 1
                p = contentStart
                var contentEnd = -1
                while p < count {
                    let byte = bytes[p]
                    if byte == quote {
                        if p + 1 < count && bytes[p + 1] == quote {
                            flags |= FieldSpan.hasDoubledQuotes
                            p += 2
                            continue
                        }
                        contentEnd = p
                        p += 1
                        break
                    }
                    if byte == newline { newlines += 1 }
                    p += 1
                }
                if contentEnd < 0 {
                    fields.append(FieldSpan(start: contentStart, end: count, flags: flags | FieldSpan.malformed))
                    return ScannedRecord(next: count, newlines: newlines, unterminatedQuote: true)
                }
                if p >= count {
                    fields.append(FieldSpan(start: contentStart, end: contentEnd, flags: flags))
                    return ScannedRecord(next: count, newlines: newlines, unterminatedQuote: false)
                }
                let byte = bytes[p]
                if byte == comma {
                    fields.append(FieldSpan(start: contentStart, end: contentEnd, flags: flags))
                    p += 1
                    continue
                }
                if byte == newline {
                    fields.append(FieldSpan(start: contentStart, end: contentEnd, flags: flags))
                    return ScannedRecord(next: p + 1, newlines: newlines + 1, unterminatedQuote: false)
                }
                if byte == carriageReturn && p + 1 < count && bytes[p + 1] == newline {
                    fields.append(FieldSpan(start: contentStart, end: contentEnd, flags: flags))
                    return ScannedRecord(next: p + 2, newlines: newlines + 1, unterminatedQuote: false)
                }
                // Text after the closing quote.
                let rest = skipMalformed(bytes, from: p, insideQuotes: false, newlines: &newlines)
                fields.append(FieldSpan(start: contentStart - 1, end: rest.fieldEnd, flags: FieldSpan.malformed))
                if rest.endsRecord {
                    return ScannedRecord(next: rest.next, newlines: newlines, unterminatedQuote: rest.unterminated)
                }
                p = rest.next
                continue
            }
            // Unquoted field.
            let start = p
            while p < count {
                let byte = bytes[p]
                if byte == comma || byte == newline || byte == quote { break }
                p += 1
            }
            if p >= count {
                fields.append(FieldSpan(start: start, end: trimCarriageReturn(bytes, start, count), flags: 0))
                return ScannedRecord(next: count, newlines: newlines, unterminatedQuote: false)
            }
            let byte = bytes[p]
            if byte == comma {
                fields.append(FieldSpan(start: start, end: p, flags: 0))
                p += 1
                continue
            }
            if byte == newline {
                fields.append(FieldSpan(start: start, end: trimCarriageReturn(bytes, start, p), flags: 0))
                return ScannedRecord(next: p + 1, newlines: newlines + 1, unterminatedQuote: false)
            }
            // A quote inside an unquoted field.
            let rest = skipMalformed(bytes, from: p, insideQuotes: false, newlines: &newlines)
            fields.append(FieldSpan(start: start, end: rest.fieldEnd, flags: FieldSpan.malformed))
            if rest.endsRecord {
                return ScannedRecord(next: rest.next, newlines: newlines, unterminatedQuote: rest.unterminated)
            }
            p = rest.next
        }
    }

    private struct MalformedRest {
        var fieldEnd: Int
        var next: Int
        var endsRecord: Bool
        var unterminated: Bool
    }

    /// Skips the rest of a malformed field: every quote toggles quoting, and only a comma or
    /// newline outside quotes ends it (the same parity rule the chunk reader cuts by).
    private static func skipMalformed(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from position: Int,
        insideQuotes: Bool,
        newlines: inout Int
    ) -> MalformedRest {
        var inside = insideQuotes
        var p = position
        while p < bytes.count {
            let byte = bytes[p]
            if byte == quote {
                inside.toggle()
            } else if byte == newline {
                newlines += 1
                if !inside {
                    return MalformedRest(
                        fieldEnd: trimCarriageReturn(bytes, position, p), next: p + 1, endsRecord: true, unterminated: false)
                }
            } else if byte == comma && !inside {
                return MalformedRest(fieldEnd: p, next: p + 1, endsRecord: false, unterminated: false)
            }
            p += 1
        }
        return MalformedRest(fieldEnd: bytes.count, next: bytes.count, endsRecord: true, unterminated: inside)
    }

    @inline(__always)
    private static func trimCarriageReturn(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        end > start && bytes[end - 1] == carriageReturn ? end - 1 : end
    }

    /// A field's bytes with its quotes undone (`""` → `"`).
    static func bytes(of field: FieldSpan, in bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let raw = UnsafeBufferPointer(rebasing: bytes[field.start..<field.end])
        guard field.hasDoubledQuotes && !field.isMalformed else { return Array(raw) }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            unescaped.append(raw[i])
            i += raw[i] == quote ? 2 : 1
        }
        return unescaped
    }

    /// The value of a field as text: quotes removed and doubled quotes undoubled.
    static func text(of field: FieldSpan, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard field.hasDoubledQuotes && !field.isMalformed else {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]), as: UTF8.self)
        }
        return String(decoding: self.bytes(of: field, in: bytes), as: UTF8.self)
    }
}
