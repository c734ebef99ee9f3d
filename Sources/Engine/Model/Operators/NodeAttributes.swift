/// Typed access to a node's attributes, with ONNX defaults and type checks.
struct NodeAttributes {
    private let byName: [String: Onnx_AttributeProto]
    private let tensorDecoder: TensorDecoder

    init(_ node: Onnx_NodeProto, tensorDecoder: TensorDecoder) {
        var byName: [String: Onnx_AttributeProto] = [:]
        for attribute in node.attribute {
            byName[attribute.name] = attribute
        }
        self.byName = byName
        self.tensorDecoder = tensorDecoder
    }

    func has(_ name: String) -> Bool {
        byName[name] != nil
    }

    func int(_ name: String, default defaultValue: Int) throws(OperatorError) -> Int {
        guard let attribute = byName[name] else { return defaultValue }
        guard attribute.type == .int || (attribute.type == .undefined && attribute.hasI) else {
            throw .invalid("attribute '\(name)' must be an int")
        }
        return Int(attribute.i)
    }

    func optionalInt(_ name: String) throws(OperatorError) -> Int? {
        guard has(name) else { return nil }
        return try int(name, default: 0)
    }

    func float(_ name: String, default defaultValue: Float) throws(OperatorError) -> Float {
        guard let attribute = byName[name] else { return defaultValue }
        guard attribute.type == .float || (attribute.type == .undefined && attribute.hasF) else {
            throw .invalid("attribute '\(name)' must be a float")
        }
        return attribute.f
    }

    func optionalFloat(_ name: String) throws(OperatorError) -> Float? {
        guard has(name) else { return nil }
        return try float(name, default: 0)
    }

    func ints(_ name: String) throws(OperatorError) -> [Int]? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .ints || attribute.type == .undefined else {
            throw .invalid("attribute '\(name)' must be a list of ints")
        }
        return attribute.ints.map { Int($0) }
    }

    func floats(_ name: String) throws(OperatorError) -> [Float]? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .floats || attribute.type == .undefined else {
            throw .invalid("attribute '\(name)' must be a list of floats")
        }
        return attribute.floats
    }

    func strings(_ name: String) throws(OperatorError) -> [String]? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .strings || attribute.type == .undefined else {
            throw .invalid("attribute '\(name)' must be a list of strings")
        }
        return attribute.strings.map { String(decoding: $0, as: UTF8.self) }
    }

    func string(_ name: String, default defaultValue: String) throws(OperatorError) -> String {
        guard let attribute = byName[name] else { return defaultValue }
        guard attribute.type == .string || (attribute.type == .undefined && attribute.hasS) else {
            throw .invalid("attribute '\(name)' must be a string")
        }
        return String(decoding: attribute.s, as: UTF8.self)
    }

    func tensor(_ name: String) throws(OperatorError) -> Tensor? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .tensor || (attribute.type == .undefined && attribute.hasT) else {
            throw .invalid("attribute '\(name)' must be a tensor")
        }
        do {
            return try tensorDecoder.decode(attribute.t)
        } catch {
            throw OperatorError(code: error.code, detail: error.message)
        }
    }
}
