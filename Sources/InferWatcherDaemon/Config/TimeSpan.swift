/// Parses systemd-style time spans: `500ms`, `2s`, `10min`, `1h 30min`, `2 days`; a bare number is seconds.
public enum TimeSpan {
    private static let units: [(names: [String], seconds: Double)] = [
        (["us", "usec", "µs"], 1e-6),
        (["ms", "msec"], 1e-3),
        (["s", "sec", "second", "seconds"], 1),
        (["m", "min", "minute", "minutes"], 60),
        (["h", "hr", "hour", "hours"], 3600),
        (["d", "day", "days"], 86400),
        (["w", "week", "weeks"], 604_800),
    ]

    /// The longest span accepted: 100 years. Longer texts (`5555…5s`) are refused rather than
    /// overflowing the millisecond count.
    public static let maximumSeconds: Double = 100 * 365 * 86400

    /// The span in `text`, or nil if it is not a time span (or is longer than ``maximumSeconds``).
    public static func duration(_ text: String) -> Duration? {
        seconds(text).map { .milliseconds(Int64(($0 * 1000).rounded())) }
    }

    /// Seconds in `text`, or nil if it is not a time span.
    static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var rest = Substring(text)
        var sawPart = false
        while true {
            rest = rest.drop(while: { $0 == " " })
            if rest.isEmpty { break }
            let number = rest.prefix(while: { $0.isNumber || $0 == "." })
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count).drop(while: { $0 == " " })
            let unit = rest.prefix(while: { $0.isLetter || $0 == "µ" })
            rest = rest.dropFirst(unit.count)
            if unit.isEmpty {
                total += value
            } else {
                guard let match = units.first(where: { $0.names.contains(String(unit)) }) else { return nil }
                total += value * match.seconds
            }
            sawPart = true
        }
        return sawPart && total <= maximumSeconds ? total : nil
    }

    /// A short text for a span: `2s`, `10min`, `1h`, `1h 30min`, `500ms`.
    public static func format(_ duration: Duration) -> String {
        format(duration.inSeconds)
    }

    /// A short text for a span of `seconds`.
    static func format(_ seconds: Double) -> String {
        if seconds < 1 && seconds > 0 { return "\(Int((seconds * 1000).rounded()))ms" }
        var rest = Int(seconds.rounded())
        if rest == 0 { return "0s" }
        var parts: [String] = []
        for (name, size) in [("d", 86400), ("h", 3600), ("min", 60), ("s", 1)] where rest >= size {
            parts.append("\(rest / size)\(name)")
            rest %= size
        }
        return parts.joined(separator: " ")
    }
}

extension Duration {
    /// The duration in seconds, for arithmetic with Unix times.
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
