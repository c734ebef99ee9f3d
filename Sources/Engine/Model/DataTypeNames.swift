extension Onnx_TensorProto.DataType {
    /// The element type as ONNX tools print it: `float`, `int64`, `bool`, …
    static func name(of rawValue: Int32) -> String {
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(rawValue)) else { return "type \(rawValue)" }
        switch type {
        case .undefined: return "undefined"
        case .float: return "float"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .string: return "string"
        case .bool: return "bool"
        case .float16: return "float16"
        case .double: return "double"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .bfloat16: return "bfloat16"
        default: return "\(type)"
        }
    }
}

extension Onnx_TypeProto {
    /// The value's type as text: the element type for tensors, else the kind of value (`sequence`, `map`, …).
    var typeName: String {
        switch value {
        case .tensorType(let tensor): Onnx_TensorProto.DataType.name(of: tensor.elemType)
        case .sparseTensorType(let tensor): "sparse " + Onnx_TensorProto.DataType.name(of: tensor.elemType)
        case .sequenceType: "sequence"
        case .mapType: "map"
        case .optionalType: "optional"
        case .opaqueType: "opaque"
        case nil: "unknown"
        }
    }
}
