/// The operators this engine implements (default domain and `ai.onnx.ml`), and how each node becomes a kernel.
enum OperatorRegistry {
    /// Whether a node with this domain and op type can be compiled.
    static func supports(domain: String, opType: String) -> Bool {
        factories(for: domain)?[opType] != nil
    }

    private static func factories(for domain: String) -> [String: KernelFactory]? {
        if OpsetSupport.isDefaultDomain(domain) { return factories }
        if domain == OpsetSupport.machineLearningDomain { return machineLearningFactories }
        return nil
    }

    /// A node this engine cannot run.
    struct UnsupportedNode: Sendable, Equatable {
        /// The op type, prefixed with its domain outside the default one (e.g. `ai.onnx.ml.TreeEnsembleClassifier`).
        let operatorName: String
        /// The node's name, or its position in the graph when unnamed.
        let nodeName: String

        var text: String { "\(operatorName) (node '\(nodeName)')" }
    }

    /// Every node of `graph` whose operator or domain is not implemented, in graph order.
    static func unsupportedNodes(in graph: Onnx_GraphProto) -> [UnsupportedNode] {
        graph.node.enumerated().compactMap { index, node in
            guard !supports(domain: node.domain, opType: node.opType) else { return nil }
            return UnsupportedNode(
                operatorName: OpsetSupport.isDefaultDomain(node.domain) ? node.opType : "\(node.domain).\(node.opType)",
                nodeName: node.name.isEmpty ? "#\(index)" : node.name
            )
        }
    }

    /// Compiles one supported node.
    static func kernel(for context: NodeContext) throws(OperatorError) -> any OperatorKernel {
        guard let factory = factories(for: context.node.domain)?[context.node.opType] else {
            throw .invalid(
                "operator \(context.node.domain.isEmpty ? "" : context.node.domain + ".")\(context.node.opType) is not supported")
        }
        return try factory(context)
    }

    private static func unary(_ function: UnaryElementwise.Function) -> KernelFactory {
        { _ throws(OperatorError) in UnaryElementwise(function: function) }
    }

    private static func binary(_ operation: BinaryArithmetic.Operation) -> KernelFactory {
        { _ throws(OperatorError) in BinaryArithmetic(operation: operation) }
    }

    private static func comparison(_ relation: ComparisonKernel.Relation) -> KernelFactory {
        { _ throws(OperatorError) in ComparisonKernel(relation: relation) }
    }

    private static func reduce(_ reduction: ReduceKernel.Reduction, axesBecameInputAt: Int) -> KernelFactory {
        { context throws(OperatorError) in
            ReduceKernel(
                reduction: reduction,
                attributeAxes: context.opsetVersion < axesBecameInputAt ? try context.attributes.ints("axes") : nil,
                keepDimensions: try context.attributes.int("keepdims", default: 1) != 0,
                noopWithEmptyAxes: try context.attributes.int("noop_with_empty_axes", default: 0) != 0
            )
        }
    }

    private static func argExtremum(largest: Bool) -> KernelFactory {
        { context throws(OperatorError) in
            ArgExtremumKernel(
                largest: largest,
                axis: try context.attributes.int("axis", default: 0),
                keepDimensions: try context.attributes.int("keepdims", default: 1) != 0,
                selectLastIndex: try context.attributes.int("select_last_index", default: 0) != 0
            )
        }
    }

    private static func softmax(logarithm: Bool) -> KernelFactory {
        { context throws(OperatorError) in
            let modern = context.opsetVersion >= 13
            return SoftmaxKernel(
                axis: try context.attributes.int("axis", default: modern ? -1 : 1),
                coercesTo2D: !modern,
                logarithm: logarithm
            )
        }
    }

    private static let factories: [String: KernelFactory] = [
        // Activations and elementwise math.
        "Relu": unary(.relu),
        "LeakyRelu": { context throws(OperatorError) in
            UnaryElementwise(function: .leakyRelu(alpha: try context.attributes.float("alpha", default: 0.01)))
        },
        "Sigmoid": unary(.sigmoid),
        "HardSigmoid": { context throws(OperatorError) in
            UnaryElementwise(
                function: .hardSigmoid(
                    alpha: try context.attributes.float("alpha", default: 0.2),
                    beta: try context.attributes.float("beta", default: 0.5)
                )
            )
        },
        "HardSwish": unary(.hardSwish),
        "Tanh": unary(.tanh),
        "Erf": unary(.erf),
        "Gelu": { context throws(OperatorError) in
            switch try context.attributes.string("approximate", default: "none") {
            case "none": UnaryElementwise(function: .gelu)
            case "tanh": UnaryElementwise(function: .geluTanh)
            case let other: throw .invalid("Gelu approximate='\(other)' is not 'none' or 'tanh'")
            }
        },
        "Sqrt": unary(.sqrt),
        "Neg": unary(.neg),
        "Exp": unary(.exp),
        "Log": unary(.log),
        "Abs": unary(.abs),
        "Reciprocal": unary(.reciprocal),
        "Floor": unary(.floor),
        "Ceil": unary(.ceil),
        "Round": unary(.round),
        "Sign": unary(.sign),
        "Elu": { context throws(OperatorError) in
            UnaryElementwise(function: .elu(alpha: try context.attributes.float("alpha", default: 1)))
        },
        "Selu": { context throws(OperatorError) in
            UnaryElementwise(
                function: .selu(
                    alpha: try context.attributes.float("alpha", default: 1.67326319217681884765625),
                    gamma: try context.attributes.float("gamma", default: 1.05070102214813232421875)
                )
            )
        },
        "Softplus": unary(.softplus),
        "Softsign": unary(.softsign),
        "Clip": { context throws(OperatorError) in
            ClipKernel(
                attributeMin: context.opsetVersion < 11 ? try context.attributes.optionalFloat("min") : nil,
                attributeMax: context.opsetVersion < 11 ? try context.attributes.optionalFloat("max") : nil
            )
        },
        "Identity": { _ throws(OperatorError) in PassThrough(producesMask: false) },
        "Dropout": { context throws(OperatorError) in
            PassThrough(producesMask: context.node.output.count > 1 && !context.node.output[1].isEmpty)
        },

        // Broadcasting arithmetic.
        "Add": binary(.add),
        "Sum": binary(.add),
        "Sub": binary(.sub),
        "Mul": binary(.mul),
        "Div": binary(.div),
        "Pow": binary(.pow),
        "Max": binary(.max),
        "Min": binary(.min),
        "PRelu": binary(.prelu),
        "Mod": { context throws(OperatorError) in
            BinaryArithmetic(operation: .mod, cStyleModulo: try context.attributes.int("fmod", default: 0) != 0)
        },
        "Equal": comparison(.equal),
        "Less": comparison(.less),
        "Greater": comparison(.greater),
        "LessOrEqual": comparison(.lessOrEqual),
        "GreaterOrEqual": comparison(.greaterOrEqual),
        "And": comparison(.and),
        "Or": comparison(.or),
        "Xor": comparison(.xor),
        "Not": { _ throws(OperatorError) in NotKernel() },
        "Where": { _ throws(OperatorError) in WhereKernel() },

        // Matrix products.
        "Gemm": { context throws(OperatorError) in
            GemmKernel(
                alpha: try context.attributes.float("alpha", default: 1),
                beta: try context.attributes.float("beta", default: 1),
                transposeA: try context.attributes.int("transA", default: 0) != 0,
                transposeB: try context.attributes.int("transB", default: 0) != 0
            )
        },
        "MatMul": { _ throws(OperatorError) in MatMulKernel() },

        // Normalisation.
        "Softmax": softmax(logarithm: false),
        "LogSoftmax": softmax(logarithm: true),
        "BatchNormalization": { context throws(OperatorError) in
            guard try context.attributes.int("training_mode", default: 0) == 0 else {
                throw .invalid("BatchNormalization with training_mode=1 computes batch statistics; export the model in eval mode")
            }
            return BatchNormalizationKernel(epsilon: try context.attributes.float("epsilon", default: 1e-5))
        },
        "LayerNormalization": { context throws(OperatorError) in
            LayerNormalizationKernel(
                axis: try context.attributes.int("axis", default: -1),
                epsilon: try context.attributes.float("epsilon", default: 1e-5),
                producesStatistics: context.node.output.dropFirst().contains { !$0.isEmpty }
            )
        },
        "ReduceMean": reduce(.mean, axesBecameInputAt: 18),
        "ReduceSum": reduce(.sum, axesBecameInputAt: 13),
        "ReduceMax": reduce(.max, axesBecameInputAt: 18),
        "ReduceMin": reduce(.min, axesBecameInputAt: 18),
        "ReduceProd": reduce(.prod, axesBecameInputAt: 18),
        "ReduceSumSquare": reduce(.sumSquare, axesBecameInputAt: 18),
        "ReduceL1": reduce(.l1, axesBecameInputAt: 18),
        "ReduceL2": reduce(.l2, axesBecameInputAt: 18),
        "ReduceLogSumExp": reduce(.logSumExp, axesBecameInputAt: 18),
        "ArgMax": argExtremum(largest: true),
        "ArgMin": argExtremum(largest: false),

        // Shapes and data movement.
        "Flatten": { context throws(OperatorError) in FlattenKernel(axis: try context.attributes.int("axis", default: 1)) },
        "Reshape": { context throws(OperatorError) in
            ReshapeKernel(allowZero: try context.attributes.int("allowzero", default: 0) != 0)
        },
        "Squeeze": { context throws(OperatorError) in
            SqueezeKernel(attributeAxes: context.opsetVersion < 13 ? try context.attributes.ints("axes") : nil)
        },
        "Unsqueeze": { context throws(OperatorError) in
            if context.opsetVersion < 13 {
                guard let axes = try context.attributes.ints("axes") else {
                    throw .invalid("Unsqueeze before opset 13 needs an 'axes' attribute")
                }
                return UnsqueezeKernel(attributeAxes: axes)
            }
            guard context.hasInput(1) else { throw .invalid("Unsqueeze from opset 13 needs an 'axes' input") }
            return UnsqueezeKernel(attributeAxes: nil)
        },
        "Shape": { context throws(OperatorError) in
            ShapeKernel(
                start: try context.attributes.int("start", default: 0),
                end: try context.attributes.optionalInt("end")
            )
        },
        "Size": { _ throws(OperatorError) in SizeKernel() },
        "Gather": { context throws(OperatorError) in GatherKernel(axis: try context.attributes.int("axis", default: 0)) },
        "Slice": { context throws(OperatorError) in
            guard context.opsetVersion < 10 else {
                return SliceKernel(attributeStarts: nil, attributeEnds: nil, attributeAxes: nil)
            }
            guard let starts = try context.attributes.ints("starts"), let ends = try context.attributes.ints("ends") else {
                throw .invalid("Slice before opset 10 needs 'starts' and 'ends' attributes")
            }
            return SliceKernel(attributeStarts: starts, attributeEnds: ends, attributeAxes: try context.attributes.ints("axes"))
        },
        "Concat": { context throws(OperatorError) in
            guard let axis = try context.attributes.optionalInt("axis") else {
                throw .invalid("Concat needs an 'axis' attribute")
            }
            return ConcatKernel(axis: axis)
        },
        "Transpose": { context throws(OperatorError) in TransposeKernel(permutation: try context.attributes.ints("perm")) },
        "Expand": { _ throws(OperatorError) in ExpandKernel() },
        "Cast": { context throws(OperatorError) in
            guard let raw = try context.attributes.optionalInt("to") else {
                throw .invalid("Cast needs a 'to' attribute")
            }
            guard let dataType = Onnx_TensorProto.DataType(rawValue: raw), let target = CastKernel.target(for: dataType) else {
                throw .invalid("Cast to data type \(raw) is not supported (numeric, bool and string types are)")
            }
            return CastKernel(target: target)
        },
        "Constant": { context throws(OperatorError) in try ConstantKernel(context.attributes) },
        "ConstantOfShape": { context throws(OperatorError) in ConstantOfShapeKernel(fill: try context.attributes.tensor("value")) },
        "Range": { _ throws(OperatorError) in RangeKernel() },
    ]

    /// `ai.onnx.ml`: what scikit-learn, LightGBM, XGBoost and CatBoost models are made of.
    private static let machineLearningFactories: [String: KernelFactory] = [
        "TreeEnsembleClassifier": { context throws(OperatorError) in try TreeEnsembleClassifierKernel(context) },
        "TreeEnsembleRegressor": { context throws(OperatorError) in try TreeEnsembleRegressorKernel(context) },
        "LinearClassifier": { context throws(OperatorError) in try LinearClassifierKernel(context) },
        "LinearRegressor": { context throws(OperatorError) in try LinearRegressorKernel(context) },
        "Scaler": { context throws(OperatorError) in try ScalerKernel(context) },
        "Normalizer": { context throws(OperatorError) in try NormalizerKernel(context) },
        "Imputer": { context throws(OperatorError) in try ImputerKernel(context) },
        "OneHotEncoder": { context throws(OperatorError) in try OneHotEncoderKernel(context) },
        "LabelEncoder": { context throws(OperatorError) in try LabelEncoderKernel(context) },
        "CategoryMapper": { context throws(OperatorError) in try CategoryMapperKernel(context) },
        "Binarizer": { context throws(OperatorError) in try BinarizerKernel(context) },
        "ArrayFeatureExtractor": { _ throws(OperatorError) in ArrayFeatureExtractorKernel() },
        "FeatureVectorizer": { context throws(OperatorError) in try FeatureVectorizerKernel(context) },
        "TreeEnsemble": { context throws(OperatorError) in try TreeEnsembleOpset5.kernel(context) },
    ]
}
