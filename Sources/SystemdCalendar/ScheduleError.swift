/// A schedule that can't be parsed: the text given and what is wrong with it, with a valid example.
public struct ScheduleError: Error, CustomStringConvertible, Sendable {
    /// The expression as given.
    public let expression: String
    /// What is wrong with it.
    public let message: String

    /// An error about `expression`.
    public init(expression: String, message: String) {
        self.expression = expression
        self.message = message
    }

    public var description: String {
        "invalid schedule \"\(expression)\": \(message)"
    }
}
