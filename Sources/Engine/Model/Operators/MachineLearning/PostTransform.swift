import Glibc

/// ONNX-ML `post_transform`: what turns summed scores into outputs.
enum PostTransform: String, Sendable {
    case none = "NONE"
    case logistic = "LOGISTIC"
    case softmax = "SOFTMAX"
    case softmaxZero = "SOFTMAX_ZERO"
    case probit = "PROBIT"

    /// The transforms by their number in TreeEnsemble (ml opset 5), as the ONNX specification
    /// numbers them: 0 NONE, 1 SOFTMAX, 2 LOGISTIC, 3 SOFTMAX_ZERO, 4 PROBIT. (onnxruntime 1.32
    /// runs 1 as LOGISTIC and 2 as SOFTMAX; docs/MODELS.md says more.)
    static let opset5Order: [PostTransform] = [.none, .softmax, .logistic, .softmaxZero, .probit]

    init(_ context: NodeContext) throws(OperatorError) {
        let name = try context.attributes.string("post_transform", default: "NONE")
        guard let transform = PostTransform(rawValue: name) else {
            throw .invalid("post_transform '\(name)' is not NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT")
        }
        self = transform
    }

    /// Applies the transform to one row's scores in place, in float, as onnxruntime computes it.
    func apply(to scores: UnsafeMutableBufferPointer<Float>) {
        switch self {
        case .none:
            break
        case .logistic:
            for k in scores.indices { scores[k] = PostTransform.logistic(scores[k]) }
        case .probit:
            for k in scores.indices { scores[k] = PostTransform.probit(scores[k]) }
        case .softmax:
            var largest = -Float.greatestFiniteMagnitude
            for value in scores where value > largest { largest = value }
            var total: Float = 0
            for k in scores.indices {
                scores[k] = expf(scores[k] - largest)
                total += scores[k]
            }
            for k in scores.indices { scores[k] /= total }
        case .softmaxZero:
            // Like softmax, but a score of (almost) exactly zero stays zero: a class no tree voted for.
            var largest = -Float.greatestFiniteMagnitude
            for value in scores where value > largest { largest = value }
            let scale = expf(-largest)
            var total: Float = 0
            for k in scores.indices {
                if scores[k] > 0.0000001 || scores[k] < -0.0000001 {
                    scores[k] = expf(scores[k] - largest)
                    total += scores[k]
                } else {
                    scores[k] *= scale
                }
            }
            for k in scores.indices { scores[k] /= total }
        }
    }

    static func logistic(_ value: Float) -> Float {
        let v = 1 / (1 + expf(-abs(value)))
        return value < 0 ? 1 - v : v
    }

    /// √2 · erf⁻¹(2p − 1), with the single-precision approximation of erf⁻¹ that onnxruntime uses.
    static func probit(_ value: Float) -> Float {
        let x = 2 * value - 1
        let sign: Float = x < 0 ? -1 : 1
        let product = (1 - x) * (1 + x)
        let logarithm = logf(product)
        let a = 2 / (3.14159 * 0.147) + 0.5 * logarithm
        let b = 1 / Float(0.147) * logarithm
        return 1.41421356 * sign * sqrtf(sqrtf(a * a - b) - a)
    }
}
