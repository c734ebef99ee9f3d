import Glibc

/// A point in wall-clock time: a duration since the Unix epoch.
///
/// The daemon's instants are wall-clock ones because what it schedules is wall-clock: calendar
/// events, arrival times in claim names, timestamps in status.json and manifests.
public struct UnixInstant: InstantProtocol, Sendable, CustomStringConvertible {
    /// Time since 1970-01-01 00:00:00 UTC.
    public var sinceEpoch: Duration

    /// The instant `sinceEpoch` after the epoch.
    public init(sinceEpoch: Duration) {
        self.sinceEpoch = sinceEpoch
    }

    /// The instant `seconds` (possibly fractional) after the epoch.
    public init(unixSeconds seconds: Double) {
        sinceEpoch = .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Seconds since the epoch, for formats that take them as a number.
    public var unixSeconds: Double {
        Double(sinceEpoch.components.seconds) + Double(sinceEpoch.components.attoseconds) / 1e18
    }

    /// Nanoseconds since the epoch (claim names carry them).
    public var unixNanoseconds: Int64 {
        sinceEpoch.components.seconds * 1_000_000_000 + sinceEpoch.components.attoseconds / 1_000_000_000
    }

    public func advanced(by duration: Duration) -> UnixInstant { UnixInstant(sinceEpoch: sinceEpoch + duration) }

    public func duration(to other: UnixInstant) -> Duration { other.sinceEpoch - sinceEpoch }

    public static func + (lhs: UnixInstant, rhs: Duration) -> UnixInstant { lhs.advanced(by: rhs) }

    public static func - (lhs: UnixInstant, rhs: Duration) -> UnixInstant { lhs.advanced(by: .zero - rhs) }

    public static func < (lhs: UnixInstant, rhs: UnixInstant) -> Bool { lhs.sinceEpoch < rhs.sinceEpoch }

    public var description: String { "\(unixSeconds)" }
}

/// The clock the daemon reads and sleeps on. Production uses ``SystemClock``; tests inject a clock
/// they advance by hand, so settle times, schedules, backoff and SLAs run in milliseconds.
public protocol DaemonClock: Clock, Sendable where Instant == UnixInstant, Duration == Swift.Duration {}

/// The real wall clock (`CLOCK_REALTIME`), sleeping on the monotonic clock.
///
/// A sleep until a wall-clock instant sleeps for the distance to it as measured when it starts;
/// callers re-read the time when they wake, so a clock step costs at most one extra turn.
public struct SystemClock: DaemonClock {
    public init() {}

    public var now: UnixInstant {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UnixInstant(sinceEpoch: .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec))
    }

    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: UnixInstant, tolerance: Duration?) async throws {
        let distance = now.duration(to: deadline)
        guard distance > .zero else {
            try Task.checkCancellation()
            return
        }
        try await ContinuousClock().sleep(for: distance, tolerance: tolerance)
    }
}
