import CSystemd
import Glibc
public import Logging

/// The journal fields of one log record, before they are sent: pure, so tests can check the
/// encoding without a journal.
public enum JournalFields {
    /// The metadata key whose value becomes the record's `MESSAGE_ID` field (32 lowercase hex
    /// digits, explained in a catalog), rather than an `INFERWATCHER_*` field.
    public static let messageIDKey = "MESSAGE_ID"

    /// syslog priority for a swift-log level.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// `iw.duration_ms` → `INFERWATCHER_DURATION_MS`: uppercase letters, digits and `_`, at most
    /// 64 characters, never starting with a digit or `_` (journal field name rules).
    public static func fieldName(_ key: String) -> String {
        let bare = key.hasPrefix("iw.") ? String(key.dropFirst(3)) : key
        var name = "INFERWATCHER_"
        for scalar in bare.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9": name.unicodeScalars.append(scalar)
            default: name += "_"
            }
        }
        return String(name.prefix(64))
    }

    /// Every field of a record as `NAME=value` bytes (values may hold newlines or any byte: the
    /// journal protocol carries lengths).
    public static func encode(
        level: Logger.Level, message: String, metadata: Logger.Metadata, identifier: String,
        file: String, function: String, line: UInt
    ) -> [[UInt8]] {
        var fields: [(String, String)] = [
            ("MESSAGE", message),
            ("PRIORITY", String(priority(level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", file),
            ("CODE_LINE", String(line)),
            ("CODE_FUNC", function),
        ]
        if let id = metadata[messageIDKey] { fields.append(("MESSAGE_ID", "\(id)")) }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != messageIDKey {
            fields.append((fieldName(key), "\(value)"))
        }
        return fields.map { Array("\($0.0)=\($0.1)".utf8) }
    }
}

/// A swift-log handler that writes to the systemd journal natively (`sd_journal_sendv`), with
/// structured `INFERWATCHER_*` fields from the metadata and a `MESSAGE_ID` from
/// ``JournalFields/messageIDKey``.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    /// `SYSLOG_IDENTIFIER`.
    public let identifier: String

    /// A handler whose records carry `SYSLOG_IDENTIFIER=identifier`.
    public init(identifier: String = "inferwatcher") {
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = JournalFields.encode(
            level: event.level, message: "\(event.message)", metadata: merged, identifier: identifier,
            file: event.file, function: event.function, line: event.line)
        send(fields)
    }

    /// Sends the fields as one journal entry; falls back to stderr if the journal refuses it.
    private func send(_ fields: [[UInt8]]) {
        let buffers = fields.map { field -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(field.count, 1), alignment: 1)
            buffer.copyBytes(from: field)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var vectors = zip(buffers, fields).map { iovec(iov_base: $0.0.baseAddress, iov_len: $0.1.count) }
        let result = vectors.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        if result < 0 {
            let message = fields.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let line = Array("\(identifier): journal write failed (\(result)): \(message)\n".utf8)
            _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        }
    }
}
