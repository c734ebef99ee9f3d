import Foundation

/// Turns `TensorProto`s (initializers and Constant values) into ``Tensor``s.
///
/// Values may come from the typed repeated fields, from little-endian
/// `raw_data`, or from an external file next to the model.
struct TensorDecoder: Sendable {
    let externalData: ExternalDataReader

    var modelPath: String { externalData.modelPath }

    func decode(_ proto: Onnx_TensorProto) throws(ModelError) -> Tensor {
        let shape = proto.dims.map { Int($0) }
        guard let count = shape.checkedElementCount, count < Int(Int32.max) else {
            throw invalid(proto, "has an impossible shape \(shape.shapeText)")
        }
        guard let dataType = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) else {
            throw invalid(proto, "has unknown data type \(proto.dataType)")
        }
        let raw: [UInt8]?
        if proto.dataLocation == .external {
            // Sized from the shape before anything is read, so a tiny shape cannot pull in a huge file.
            guard let width = Self.byteWidth(of: dataType) else {
                throw invalid(
                    proto, "has data type \(dataType), which this engine does not support (float, double, float16 and integer types are)")
            }
            raw = try externalBytes(proto, expected: count * width, shape: shape)
        } else if proto.hasRawData {
            raw = [UInt8](proto.rawData)
        } else {
            raw = nil
        }
        let tensor: Tensor
        switch dataType {
        case .float:
            tensor = Tensor(shape: shape, floats: try values(proto, raw, shape, proto.floatData, Float.self) { $0 })
        case .double:
            tensor = Tensor(shape: shape, floats: try values(proto, raw, shape, proto.doubleData, Double.self) { Float($0) })
        case .float16:
            let bits = try values(proto, raw, shape, proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }, UInt16.self) { $0 }
            tensor = Tensor(shape: shape, floats: bits.map { Float(Float16(bitPattern: $0)) })
        case .int64:
            tensor = Tensor(shape: shape, ints: try values(proto, raw, shape, proto.int64Data, Int64.self) { $0 })
        case .int32:
            tensor = Tensor(shape: shape, ints: try values(proto, raw, shape, proto.int32Data, Int32.self) { Int64($0) })
        case .int16:
            let fields = proto.int32Data.map { Int16(truncatingIfNeeded: $0) }
            tensor = Tensor(shape: shape, ints: try values(proto, raw, shape, fields, Int16.self) { Int64($0) })
        case .int8:
            let fields = proto.int32Data.map { Int8(truncatingIfNeeded: $0) }
            tensor = Tensor(shape: shape, ints: try values(proto, raw, shape, fields, Int8.self) { Int64($0) })
        case .uint8, .bool:
            let fields = proto.int32Data.map { UInt8(truncatingIfNeeded: $0) }
            tensor = Tensor(shape: shape, ints: try values(proto, raw, shape, fields, UInt8.self) { Int64($0) })
        case .uint16:
            let fields = proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }
            tensor = Tensor(shape: shape, ints: try values(proto, raw, shape, fields, UInt16.self) { Int64($0) })
        case .uint32:
            let fields = proto.uint64Data.map { UInt32(truncatingIfNeeded: $0) }
            tensor = Tensor(shape: shape, ints: try values(proto, raw, shape, fields, UInt32.self) { Int64($0) })
        case .uint64:
            tensor = Tensor(
                shape: shape,
                ints: try values(proto, raw, shape, proto.uint64Data, UInt64.self) { Int64(truncatingIfNeeded: $0) }
            )
        case .string:
            guard raw == nil, proto.stringData.count == shape.elementCount else {
                throw invalid(proto, "has \(proto.stringData.count) strings but its shape \(shape.shapeText) needs \(shape.elementCount)")
            }
            tensor = Tensor(shape: shape, strings: proto.stringData.map { String(decoding: $0, as: UTF8.self) })
        default:
            throw invalid(
                proto,
                "has data type \(dataType), which this engine does not support (float, double, float16, integer and string types are)")
        }
        return tensor
    }

    /// Reads `shape.elementCount` values from raw bytes when present, else from the typed field.
    private func values<Stored, Value>(
        _ proto: Onnx_TensorProto,
        _ raw: [UInt8]?,
        _ shape: [Int],
        _ field: [Stored],
        _ stored: Stored.Type,
        _ convert: (Stored) -> Value
    ) throws(ModelError) -> [Value] {
        let expected = shape.elementCount
        if let raw {
            let width = MemoryLayout<Stored>.size
            guard raw.count == expected * width else {
                throw invalid(
                    proto,
                    "has \(raw.count) bytes of data but its shape \(shape.shapeText) needs \(expected * width)"
                )
            }
            return raw.withUnsafeBytes { bytes in
                (0..<expected).map { convert(bytes.loadUnaligned(fromByteOffset: $0 * width, as: Stored.self)) }
            }
        }
        guard field.count == expected else {
            throw invalid(proto, "has \(field.count) values but its shape \(shape.shapeText) needs \(expected)")
        }
        return field.map(convert)
    }

    /// Bytes per element of the data types this engine decodes; nil for the others.
    static func byteWidth(of dataType: Onnx_TensorProto.DataType) -> Int? {
        switch dataType {
        case .float, .int32, .uint32: 4
        case .double, .int64, .uint64: 8
        case .float16, .int16, .uint16: 2
        case .int8, .uint8, .bool: 1
        default: nil
        }
    }

    private func externalBytes(_ proto: Onnx_TensorProto, expected: Int, shape: [Int]) throws(ModelError) -> [UInt8] {
        var location = ""
        var offset = 0
        var length: Int?
        for entry in proto.externalData {
            func byteCount() throws(ModelError) -> Int {
                guard let value = Int(entry.value), value >= 0 else {
                    throw ModelError(
                        code: .externalData,
                        message:
                            "\(modelPath): tensor '\(proto.name)' has external data \(entry.key) '\(entry.value)', which is not a byte count"
                    )
                }
                return value
            }
            switch entry.key {
            case "location":
                location = entry.value
            case "offset":
                offset = try byteCount()
            case "length":
                length = try byteCount()
            default:
                continue
            }
        }
        if let length, length != expected {
            throw invalid(proto, "has external data of \(length) bytes but its shape \(shape.shapeText) needs \(expected)")
        }
        return try externalData.read(
            location: location, offset: offset, length: length, expectedLength: expected, tensorName: proto.name)
    }

    private func invalid(_ proto: Onnx_TensorProto, _ detail: String) -> ModelError {
        ModelError(
            code: .invalidGraph,
            message: "\(modelPath): tensor '\(proto.name)' \(detail); re-export the model"
        )
    }
}
