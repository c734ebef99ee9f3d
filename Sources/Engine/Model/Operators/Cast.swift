/// Cast to another ONNX element type, emulated on the three storage kinds.
///
/// Integer targets truncate toward zero and wrap to the target's width (as a C
/// cast does for in-range values; NaN becomes 0 instead of trapping). Bool
/// becomes 0/1. Float16 and bfloat16 round to that precision and are kept as
/// float32; double is kept as float32. Integers become strings in decimal, and
/// strings become numbers by parsing them (a string that is not one gives NaN, or 0 for an integer).
struct CastKernel: OperatorKernel {
    enum Target: Sendable, Equatable {
        case float
        case float16
        case bfloat16
        case integer(bits: Int, signed: Bool)
        case bool
        case string
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
        case .string: .string
        default: nil
        }
    }

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        var x = try inputs.take(0)
        if x.elementType == .string, target != .string {
            // Parsed as numbers first, then cast on like any float (an integer target parses exactly).
            if case .integer = target, case let integers = x.strings.map({ Int64(Self.trimmed($0)) }), !integers.contains(nil) {
                x = Tensor(shape: x.shape, ints: integers.map { $0! })
            } else {
                x = Tensor(shape: x.shape, floats: x.strings.map { Float(Self.trimmed($0)) ?? .nan })
            }
        }
        switch (target, x.elementType) {
        case (.string, .string):
            return [x]
        case (.string, .int64):
            return [Tensor(shape: x.shape, strings: x.ints.map { String($0) })]
        case (.string, .float):
            throw .invalid("Cast from float to string is not supported")
        case (_, .string):
            throw .invalid("Cast from string is not supported to this type")
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

    /// The string without leading and trailing spaces, as a number is parsed from it.
    private static func trimmed(_ text: String) -> Substring {
        let start = text.drop(while: { $0 == " " })
        return start[..<(start.lastIndex(where: { $0 != " " }).map(start.index(after:)) ?? start.startIndex)]
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
