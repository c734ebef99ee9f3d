/// Cast to another ONNX element type, emulated on the two storage kinds.
///
/// Integer targets truncate toward zero and wrap to the target's width (as a C
/// cast does for in-range values; NaN becomes 0 instead of trapping). Bool
/// becomes 0/1. Float16 and bfloat16 round to that precision and are kept as
/// float32; double is kept as float32.
struct CastKernel: OperatorKernel {
    enum Target: Sendable, Equatable {
        case float
        case float16
        case bfloat16
        case integer(bits: Int, signed: Bool)
        case bool
    }

    let target: Target

    /// Maps a TensorProto data type to a cast target, or nil for types this engine does not hold (strings, complex, 8-bit floats).
    static func target(for dataType: Onnx_TensorProto.DataType) -> Target? {
        switch dataType {
        case .float, .double: .float
        case .float16: .float16
        case .bfloat16: .bfloat16
        case .int8: .integer(bits: 8, signed: true)
        case .int16: .integer(bits: 16, signed: true)
        case .int32: .integer(bits: 32, signed: true)
        case .int64: .integer(bits: 64, signed: true)
        case .uint8: .integer(bits: 8, signed: false)
        case .uint16: .integer(bits: 16, signed: false)
        case .uint32: .integer(bits: 32, signed: false)
        case .uint64: .integer(bits: 64, signed: false)
        case .bool: .bool
        default: nil
        }
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let x = try inputs.take(0)
        switch (target, x.elementType) {
        case (.float, .float):
            return [x]
        case (.float, .int64):
            return [Tensor(shape: x.shape, floats: x.ints.map { Float($0) })]
        case (.float16, _):
            return [Tensor(shape: x.shape, floats: x.valuesAsFloat.map { Float(Float16($0)) })]
        case (.bfloat16, _):
            return [Tensor(shape: x.shape, floats: x.valuesAsFloat.map(CastKernel.roundedToBFloat16))]
        case (.bool, .float):
            return [Tensor(shape: x.shape, ints: x.floats.map { $0 != 0 ? 1 : 0 })]
        case (.bool, .int64):
            return [Tensor(shape: x.shape, ints: x.ints.map { $0 != 0 ? 1 : 0 })]
        case (.integer(let bits, let signed), _):
            let values = x.elementType == .float ? x.floats.map(Int64.init(clampingFloat:)) : x.ints
            guard bits < 64 else {
                return [Tensor(shape: x.shape, ints: values)]
            }
            return [Tensor(shape: x.shape, ints: values.map { CastKernel.wrap($0, bits: bits, signed: signed) })]
        }
    }

    /// Keeps the low `bits` bits, read as signed or unsigned.
    private static func wrap(_ value: Int64, bits: Int, signed: Bool) -> Int64 {
        let shift = 64 - bits
        if signed {
            return (value << shift) >> shift
        }
        return Int64(bitPattern: (UInt64(bitPattern: value) << shift) >> shift)
    }

    /// Rounds to the nearest bfloat16 (ties to even), as ONNX's Cast does.
    private static func roundedToBFloat16(_ value: Float) -> Float {
        guard value.isFinite else { return value }
        let bits = value.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return Float(bitPattern: rounded & 0xFFFF_0000)
    }
}
