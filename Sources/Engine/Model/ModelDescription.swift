/// What a model file declares, read without compiling it: the facts `inferwatcher model inspect` prints.
public struct ONNXModelDescription: Sendable, Equatable, CustomStringConvertible {
    /// One operator-set import: a domain (`ai.onnx` for the default one) and its version.
    public struct OpsetImport: Sendable, Equatable {
        /// The domain, with the default domain spelled `ai.onnx`.
        public let domain: String
        /// The imported opset version.
        public let version: Int
    }

    /// One dimension of a declared tensor shape.
    public enum Dimension: Sendable, Equatable, CustomStringConvertible {
        /// A fixed size.
        case fixed(Int)
        /// A named symbolic size such as `batch`.
        case symbolic(String)
        /// Neither a size nor a name.
        case unknown

        /// The size, the name, or `?`.
        public var description: String {
            switch self {
            case .fixed(let size): String(size)
            case .symbolic(let name): name
            case .unknown: "?"
            }
        }
    }

    /// A graph input or output.
    public struct Value: Sendable, Equatable, CustomStringConvertible {
        /// The value's name.
        public let name: String
        /// The element type as text (`float`, `int64`, …), or the kind of a non-tensor value.
        public let elementType: String
        /// The declared dimensions; nil when the model declares no shape.
        public let dimensions: [Dimension]?

        /// `name: type [d0, d1]`.
        public var description: String {
            let shape = dimensions.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "(shape not declared)"
            return "\(name): \(elementType) \(shape)"
        }
    }

    /// How many nodes use one operator, and whether the engine implements it.
    public struct OperatorUse: Sendable, Equatable {
        /// The op type, prefixed by its domain outside the default one.
        public let name: String
        /// How many nodes use it.
        public let count: Int
        /// Whether ``ONNXModel`` can run it.
        public let isSupported: Bool
    }

    /// A node the engine cannot run.
    public struct UnsupportedNode: Sendable, Equatable {
        /// The op type, prefixed by its domain outside the default one.
        public let operatorName: String
        /// The node's name, or `#index` for an unnamed node.
        public let nodeName: String
    }

    /// The file the description was read from.
    public let path: String
    /// The ONNX IR version.
    public let irVersion: Int
    /// Producer name and version, e.g. `pytorch 2.5.1`.
    public let producer: String
    /// Every opset import, in file order.
    public let opsetImports: [OpsetImport]
    /// Whether the default-domain opset is one ``ONNXModel`` supports.
    public let isOpsetSupported: Bool
    /// The inputs a caller feeds (initializers listed as inputs by old exporters are left out).
    public let inputs: [Value]
    /// The graph outputs, first one first.
    public let outputs: [Value]
    /// The number of nodes in the main graph.
    public let nodeCount: Int
    /// Operators used, with counts, sorted by name.
    public let operators: [OperatorUse]
    /// Every node whose operator the engine does not implement, in graph order, among those the
    /// output the engine reads depends on.
    public let unsupportedNodes: [UnsupportedNode]
    /// The model's `metadata_props`.
    public let metadata: [String: String]
    /// The number of initializers (weights and other constants).
    public let initializerCount: Int
    /// The total number of values in all initializers.
    public let parameterCount: Int
    /// The external data files initializers refer to, sorted and without repeats.
    public let externalDataFiles: [String]

    /// A multi-line report for people.
    public var description: String {
        var lines: [String] = []
        lines.append("model: \(path)")
        lines.append("ir_version: \(irVersion)")
        lines.append("producer: \(producer.isEmpty ? "(not recorded)" : producer)")
        let opsets = opsetImports.map { "\($0.domain) \($0.version)" }.joined(separator: ", ")
        lines.append("opset imports: \(opsets)\(isOpsetSupported ? "" : " (default-domain opset not supported)")")
        lines.append("inputs:")
        lines.append(contentsOf: inputs.map { "  \($0)" })
        lines.append("outputs:")
        lines.append(contentsOf: outputs.map { "  \($0)" })
        lines.append("nodes: \(nodeCount)")
        lines.append("operators:")
        lines.append(
            contentsOf: operators.map { use in
                let note =
                    use.isSupported
                    ? ""
                    : unsupportedNodes.contains { $0.operatorName == use.name }
                        ? " (unsupported)" : " (not run: the output read does not need it)"
                return "  \(use.name) ×\(use.count)\(note)"
            })
        if unsupportedNodes.isEmpty {
            lines.append("unsupported operators: none")
        } else {
            lines.append("unsupported operators:")
            lines.append(contentsOf: unsupportedNodes.map { "  \($0.operatorName) (node '\($0.nodeName)')" })
        }
        if metadata.isEmpty {
            lines.append("metadata: none")
        } else {
            lines.append("metadata:")
            lines.append(contentsOf: metadata.keys.sorted().map { "  \($0): \(metadata[$0]!)" })
        }
        lines.append("initializers: \(initializerCount) (\(parameterCount) parameters)")
        lines.append("external data: \(externalDataFiles.isEmpty ? "none" : externalDataFiles.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}

extension ONNXModelDescription {
    /// Reads and describes the model at `path` without compiling it.
    ///
    /// Unsupported operators and opsets are reported in the description, not thrown.
    ///
    /// - Throws: ``ModelError`` with code `unreadable`, `notONNX` or `truncated` when the file is not a readable ONNX model.
    public static func read(path: String) throws(ModelError) -> ONNXModelDescription {
        ONNXModelDescription(model: try ModelFile.read(path: path), path: path)
    }

    init(model: Onnx_ModelProto, path: String) {
        let graph = model.graph
        let initializerNames = Set(graph.initializer.map(\.name))
        var counts: [String: Int] = [:]
        for node in graph.node {
            counts[ONNXModelDescription.operatorName(node), default: 0] += 1
        }
        let supportedNames = Set(
            graph.node.filter { OperatorRegistry.supports(domain: $0.domain, opType: $0.opType) }
                .map(ONNXModelDescription.operatorName)
        )
        let defaultVersion = OpsetSupport.defaultVersion(of: model)

        self.path = path
        irVersion = Int(model.irVersion)
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        opsetImports = model.opsetImport.map {
            OpsetImport(domain: OpsetSupport.isDefaultDomain($0.domain) ? "ai.onnx" : $0.domain, version: Int($0.version))
        }
        isOpsetSupported =
            defaultVersion.map(OpsetSupport.supportedVersions.contains)
            ?? model.opsetImport.contains { $0.domain == OpsetSupport.machineLearningDomain }
        inputs = graph.input.filter { !initializerNames.contains($0.name) }.map(ONNXModelDescription.value)
        outputs = graph.output.map(ONNXModelDescription.value)
        nodeCount = graph.node.count
        operators = counts.keys.sorted().map { OperatorUse(name: $0, count: counts[$0]!, isSupported: supportedNames.contains($0)) }
        // Only the nodes the output read depends on are compiled (not a classifier's label path,
        // nor a ZipMap after its probabilities): the others do not keep a model from running.
        let needed = (try? GraphInterface(graph: graph, path: path)).map { $0.neededPart(of: graph) } ?? graph
        unsupportedNodes = OperatorRegistry.unsupportedNodes(in: needed).map {
            UnsupportedNode(operatorName: $0.operatorName, nodeName: $0.nodeName)
        }
        metadata = Dictionary(model.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        initializerCount = graph.initializer.count
        parameterCount = graph.initializer.reduce(0) { $0 &+ $1.dims.reduce(1) { $0 &* Int($1) } }
        externalDataFiles = Set(
            graph.initializer.filter { $0.dataLocation == .external }
                .compactMap { $0.externalData.first(where: { $0.key == "location" })?.value }
        ).sorted()
    }

    private static func operatorName(_ node: Onnx_NodeProto) -> String {
        OpsetSupport.isDefaultDomain(node.domain) ? node.opType : "\(node.domain).\(node.opType)"
    }

    private static func value(_ info: Onnx_ValueInfoProto) -> Value {
        var dimensions: [Dimension]?
        if case .tensorType(let tensor) = info.type.value, tensor.hasShape {
            dimensions = tensor.shape.dim.map { dimension in
                switch dimension.value {
                case .dimValue(let size): .fixed(Int(size))
                case .dimParam(let name): .symbolic(name)
                case nil: .unknown
                }
            }
        }
        return Value(name: info.name, elementType: info.type.typeName, dimensions: dimensions)
    }
}
