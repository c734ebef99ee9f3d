import Files
import Foundation
import SwiftProtobuf

/// Reads a model file and decodes it as an ONNX `ModelProto`, telling apart
/// "not ONNX at all" from "an ONNX file that ends early".
enum ModelFile {
    /// Decodes the file at `path`; the result has a graph and a default-domain opset import.
    static func read(path: String) throws(ModelError) -> Onnx_ModelProto {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            throw ModelError(
                code: .unreadable,
                message: "\(path): cannot read the model file: \(error.reason); check that the path exists and is readable"
            )
        }
        return try decode(Data(bytes), path: path)
    }

    /// Decodes serialized model bytes; `path` only names the model in messages.
    static func decode(_ bytes: Data, path: String) throws(ModelError) -> Onnx_ModelProto {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: bytes)
        } catch let error as BinaryDecodingError where error == .truncated && startsLikeONNX(bytes) {
            throw ModelError(
                code: .truncated,
                message:
                    "\(path): the ONNX file ends early (\(bytes.count) bytes); it was probably cut off while copying, so copy or export it again"
            )
        } catch {
            throw notONNX(path, "it does not decode as an ONNX protobuf (\(describe(error)))")
        }
        guard model.hasGraph else {
            throw notONNX(path, "it has no graph")
        }
        // CatBoost and XGBoost's converters import only ai.onnx.ml when the graph needs nothing else.
        guard
            model.opsetImport.contains(where: { OpsetSupport.isDefaultDomain($0.domain) || $0.domain == OpsetSupport.machineLearningDomain }
            )
        else {
            throw notONNX(path, "it has no opset import for the default ONNX domain (or was cut off before it)")
        }
        return model
    }

    /// Whether the bytes begin as ONNX writers begin a model: field 1 (`ir_version`) as a small varint.
    private static func startsLikeONNX(_ bytes: Data) -> Bool {
        guard bytes.count >= 2, bytes[bytes.startIndex] == 0x08 else { return false }
        let version = bytes[bytes.startIndex + 1]
        return version >= 1 && version < 0x40
    }

    private static func notONNX(_ path: String, _ reason: String) -> ModelError {
        ModelError(
            code: .notONNX,
            message: "\(path) is not an ONNX model: \(reason); point the job at a .onnx file exported by your training code"
        )
    }

    private static func describe(_ error: any Error) -> String {
        if let decoding = error as? BinaryDecodingError {
            return "\(decoding)"
        }
        return (error as NSError).localizedDescription
    }
}
