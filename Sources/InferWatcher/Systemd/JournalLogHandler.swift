import CSystemd
import Glibc
import Logging

/// The journal fields of one log record, before they are sent: pure, so tests can check the
/// encoding without a journal.
enum JournalFields {
    /// MESSAGE_IDs for the events operators filter on; explained in systemd/inferwatcher.catalog.
    static let messageIDs: [String: String] = [
        "job-started": "0335cdbcfaa84922b96a543d290f6813",
        "job-succeeded": "235f12b688e74207a949d9ad474d2bc1",
        "job-failed": "bed13a7c606d41df9ced370c0ca3be8b",
        "job-quarantined": "7154a0bac0164a19b3ea4def000a4af6",
        "sla-missed": "c1639f0fff39472f85379ccb2a883622",
    ]

    /// syslog priority for a swift-log level.
    static func priority(_ level: Logger.Level) -> Int {
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
    static func fieldName(_ key: String) -> String {
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
    static func encode(
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
        if case .string(let event)? = metadata["iw.event"], let id = messageIDs[event] {
            fields.append(("MESSAGE_ID", id))
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append((fieldName(key), "\(value)"))
        }
        return fields.map { Array("\($0.0)=\($0.1)".utf8) }
    }
}

/// A swift-log handler that writes to the systemd journal natively (`sd_journal_sendv`), with
/// structured `INFERWATCHER_*` fields from the metadata.
struct JournalLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let identifier: String

    init(identifier: String = "inferwatcher") {
        self.identifier = identifier
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = JournalFields.encode(
            level: event.level, message: "\(event.message)", metadata: merged, identifier: identifier,
            file: event.file, function: event.function, line: event.line)
        Self.send(fields)
    }

    /// Sends the fields as one journal entry; falls back to stderr if the journal refuses it.
    static func send(_ fields: [[UInt8]]) {
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
            Standard.error.write("inferwatcher: journal write failed (\(result)): \(message)\n")
        }
    }
}
