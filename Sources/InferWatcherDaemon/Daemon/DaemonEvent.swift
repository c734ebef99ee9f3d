public import Logging

/// The journal events operators filter on. Each has a stable MESSAGE_ID, explained in
/// systemd/inferwatcher.catalog (keep the two in step).
public enum DaemonEvent: String, Sendable, CaseIterable {
    case jobStarted = "job-started"
    case jobSucceeded = "job-succeeded"
    case jobFailed = "job-failed"
    case jobQuarantined = "job-quarantined"
    case slaMissed = "sla-missed"
    case driftAlert = "drift-alert"

    /// The journal's MESSAGE_ID for this event (32 lowercase hex digits).
    public var messageID: String {
        switch self {
        case .jobStarted: "0335cdbcfaa84922b96a543d290f6813"
        case .jobSucceeded: "235f12b688e74207a949d9ad474d2bc1"
        case .jobFailed: "bed13a7c606d41df9ced370c0ca3be8b"
        case .jobQuarantined: "7154a0bac0164a19b3ea4def000a4af6"
        case .slaMissed: "c1639f0fff39472f85379ccb2a883622"
        case .driftAlert: "5b8c4e211bf344de965f74b85055a1fe"
        }
    }

    /// Log metadata that marks a record as this event: `iw.event` (INFERWATCHER_EVENT in the
    /// journal) and the MESSAGE_ID.
    public var metadata: Logger.Metadata {
        ["iw.event": "\(rawValue)", "MESSAGE_ID": "\(messageID)"]
    }
}

extension Logger.Metadata {
    /// This metadata with `event`'s keys added.
    static func event(_ event: DaemonEvent, _ more: Logger.Metadata = [:]) -> Logger.Metadata {
        event.metadata.merging(more) { $1 }
    }
}
