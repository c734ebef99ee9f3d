/// Encodes an `Encodable` value as a ``JSONValue``, keeping its keys in the order the value
/// encodes them (for a synthesized `Codable` type: the order of its `CodingKeys`) and writing a
/// `nil` optional as `null` rather than leaving the key out.
///
/// Foundation's `JSONEncoder` orders keys by hash or alphabetically and drops `nil`s; the files
/// inferwatcher writes have a documented key order and name their unknowns `null`. The same types
/// read back with any JSON decoder.
public struct JSONValueEncoder: Sendable {
    public init() {}

    /// The JSON value of `value`.
    /// - Throws: `EncodingError.invalidValue` for a value that encodes nothing.
    public func encode(_ value: some Encodable) throws -> JSONValue {
        let root = Node()
        try value.encode(to: TreeEncoder(node: root, codingPath: []))
        guard let result = root.value else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "the value encoded nothing"))
        }
        return result
    }
}

extension JSONValue {
    /// The JSON value of a `Codable` record, keys in its `CodingKeys` order.
    public init(encoding value: some Encodable) throws {
        self = try JSONValueEncoder().encode(value)
    }
}

/// A value being built: a leaf, or an object or array whose members are nodes still being filled.
private final class Node {
    enum Content {
        case empty
        case leaf(JSONValue)
        case object([(String, Node)])
        case array([Node])
    }

    var content = Content.empty

    var value: JSONValue? {
        switch content {
        case .empty: nil
        case .leaf(let value): value
        case .object(let members): .object(members.map { ($0.0, $0.1.value ?? .null) })
        case .array(let elements): .array(elements.map { $0.value ?? .null })
        }
    }

    /// The member `key`, created (after the existing ones) if new; turns this node into an object.
    func member(_ key: String) -> Node {
        var members: [(String, Node)] = []
        if case .object(let existing) = content { members = existing }
        if let found = members.first(where: { $0.0 == key }) { return found.1 }
        let node = Node()
        members.append((key, node))
        content = .object(members)
        return node
    }

    /// A new last element; turns this node into an array.
    func appendElement() -> Node {
        var elements: [Node] = []
        if case .array(let existing) = content { elements = existing }
        let node = Node()
        elements.append(node)
        content = .array(elements)
        return node
    }

    func becomeObject() {
        if case .object = content { return }
        content = .object([])
    }

    func becomeArray() {
        if case .array = content { return }
        content = .array([])
    }
}

private struct TreeEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.becomeArray()
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(node: node, codingPath: codingPath)
    }
}

/// Encodes `value` into `node`: primitives as leaves, anything else through its own `encode(to:)`.
private func encode(_ value: some Encodable, into node: Node, codingPath: [any CodingKey]) throws {
    switch value {
    case let value as Bool: node.content = .leaf(.bool(value))
    case let value as String: node.content = .leaf(.string(value))
    case let value as Double: node.content = .leaf(.double(value))
    case let value as Float: node.content = .leaf(.double(Double(value)))
    case let value as Int: node.content = .leaf(.int(value))
    case let value as Int8: node.content = .leaf(.int(Int(value)))
    case let value as Int16: node.content = .leaf(.int(Int(value)))
    case let value as Int32: node.content = .leaf(.int(Int(value)))
    case let value as Int64: node.content = .leaf(.int(Int(value)))
    case let value as UInt8: node.content = .leaf(.int(Int(value)))
    case let value as UInt16: node.content = .leaf(.int(Int(value)))
    case let value as UInt32: node.content = .leaf(.int(Int(value)))
    case let value as UInt: node.content = .leaf(Int(exactly: value).map(JSONValue.int) ?? .double(Double(value)))
    case let value as UInt64: node.content = .leaf(Int(exactly: value).map(JSONValue.int) ?? .double(Double(value)))
    case let value as JSONValue: node.content = .leaf(value)
    default: try value.encode(to: TreeEncoder(node: node, codingPath: codingPath))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).content = .leaf(.null) }

    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        try OrderedJSON.encode(value, into: node.member(key.stringValue), codingPath: codingPath + [key])
    }

    // A nil optional is written as null, never left out.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try put(value, key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try put(value, key) }

    private mutating func put(_ value: (some Encodable)?, _ key: Key) throws {
        guard let value else { return try encodeNil(forKey: key) }
        try encode(value, forKey: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.member(key.stringValue)
        child.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.member(key.stringValue)
        child.becomeArray()
        return UnkeyedContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        TreeEncoder(node: node.member("super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        TreeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    var count: Int {
        if case .array(let elements) = node.content { return elements.count }
        return 0
    }

    mutating func encodeNil() throws { node.appendElement().content = .leaf(.null) }

    mutating func encode(_ value: some Encodable) throws {
        try OrderedJSON.encode(value, into: node.appendElement(), codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = node.appendElement()
        child.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = node.appendElement()
        child.becomeArray()
        return UnkeyedContainer(node: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(node: node.appendElement(), codingPath: codingPath) }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .leaf(.null) }

    mutating func encode(_ value: some Encodable) throws {
        try OrderedJSON.encode(value, into: node, codingPath: codingPath)
    }
}
