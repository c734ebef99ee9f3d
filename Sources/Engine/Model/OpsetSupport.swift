/// Which ONNX operator sets this engine implements.
///
/// The default domain is supported from opset 7 (where NumPy broadcasting
/// replaced the `broadcast` attribute, and Gemm/BatchNormalization took their
/// modern form) through opset 21. Operator semantics that changed inside that
/// range are followed per version: Softmax/LogSoftmax axis (opset 13),
/// Squeeze/Unsqueeze/ReduceSum axes as an input (opset 13), other Reduce*
/// axes as an input (opset 18), Clip bounds as inputs (opset 11), Slice
/// bounds as inputs (opset 10), Reshape `allowzero` (opset 14) and Shape
/// `start`/`end` (opset 15). From `ai.onnx.ml` (any of its opsets, 1 to 5) the
/// tree ensembles are implemented. Other domains (`com.microsoft`, …) are not:
/// their nodes are reported as unsupported operators.
enum OpsetSupport {
    static let supportedVersions: ClosedRange<Int> = 7...21
    /// The domain of the classical machine-learning operators (trees, linear models, encoders).
    static let machineLearningDomain = "ai.onnx.ml"

    /// Whether `domain` names the default ONNX operator domain.
    static func isDefaultDomain(_ domain: String) -> Bool {
        domain.isEmpty || domain == "ai.onnx"
    }

    /// The default-domain opset version a model imports, if any.
    static func defaultVersion(of model: Onnx_ModelProto) -> Int? {
        model.opsetImport.first(where: { isDefaultDomain($0.domain) }).map { Int($0.version) }
    }
}
