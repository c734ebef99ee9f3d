/// An error raised while loading, inspecting or running an ONNX model.
///
/// The ``code`` says what kind of failure it was (compare it with the static
/// members of ``Code``); the ``message`` is written for a person: it names the
/// model file, the node or operator involved, and what to do next.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    /// The kind of a ``ModelError``; opaque so that new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Hashable, Sendable {
            case unreadable
            case notONNX
            case truncated
            case unsupportedOpset
            case unsupportedOperators
            case multipleInputs
            case unsupportedInput
            case externalData
            case invalidGraph
            case shapeMismatch
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// A short, stable name for the code, such as `notONNX`.
        public var description: String { kind.rawValue }

        /// The model file could not be opened or read.
        public static let unreadable = Code(.unreadable)
        /// The file is not an ONNX model: it does not decode as a `ModelProto`, or it has no graph or default-domain opset.
        public static let notONNX = Code(.notONNX)
        /// The file starts like an ONNX model but ends early.
        public static let truncated = Code(.truncated)
        /// The default-domain opset is outside the range this engine implements.
        public static let unsupportedOpset = Code(.unsupportedOpset)
        /// One or more nodes use operators (or operator domains) this engine does not implement.
        public static let unsupportedOperators = Code(.unsupportedOperators)
        /// The graph has more than one runtime input.
        public static let multipleInputs = Code(.multipleInputs)
        /// The single graph input is not a 2-D float tensor with a static feature dimension.
        public static let unsupportedInput = Code(.unsupportedInput)
        /// A tensor stored outside the model file is missing, unreadable or points outside the model's folder.
        public static let externalData = Code(.externalData)
        /// The graph is malformed: undefined values, cycles, bad attributes or constant data.
        public static let invalidGraph = Code(.invalidGraph)
        /// Tensor shapes do not fit together, at load time or for a given batch.
        public static let shapeMismatch = Code(.shapeMismatch)
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened, where, and what to do next.
    public let message: String

    init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message, as shown to a person.
    public var description: String { message }
}
