import ArgumentParser
import Engine

/// `inferwatcher model …`: tools for model files.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect ONNX models.",
        subcommands: [InspectCommand.self]
    )

    /// `inferwatcher model inspect M.onnx`.
    struct InspectCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Show a model's inputs, outputs, operators and metadata, and whether inferwatcher can run it.",
            discussion: """
                Exits 0 when the model can be run as a predictor, 2 when it can't or is not a model \
                (an unusable model is a configuration error, as for predict; the last line says why).
                """
        )

        @Argument(help: "The ONNX model file.")
        var path: String

        @Option(name: .long, help: "How to read the output, as predict would (auto, probability, logit, regression).")
        var outputKind = OutputKindName.auto

        func run() throws {
            let description: ONNXModelDescription
            do {
                description = try ONNXModelDescription.read(path: path)
            } catch {
                throw CLIFailure.usage(error.description)
            }
            Standard.output.write(description.description + "\n")
            let verdict: String
            let model: ONNXModel
            do {
                model = try ONNXModel.load(path: path)
                let schema = try OutputSchema.resolve(for: model, option: outputKind.option)
                let columns = schema.predictionColumns.joined(separator: ", ")
                let inputs =
                    model.inputs.count == 1
                    ? "\(model.featureCount) features in '\(model.inputName)'"
                    : "\(model.featureCount) columns in \(model.inputs.count) inputs bound by name ("
                        + model.inputs.map { "\($0.name) \($0.valueType.rawValue)\($0.width > 1 ? "×\($0.width)" : "")" }.joined(
                            separator: ", ")
                        + ")"
                verdict = "ready: \(inputs) -> '\(model.outputName)' (\(model.outputProducer)); writes \(columns)"
            } catch let error as ModelError {
                Standard.output.write("status: not usable: \(error.description)\n")
                throw CLIFailure.usage("\(path) can't be run (see above)")
            } catch let error as PredictionError {
                Standard.output.write("status: not usable as is: \(error.description)\n")
                throw CLIFailure.usage("\(path) needs --output-kind (see above)")
            }
            Standard.output.write("family: \(model.family)\n")
            Standard.output.write("status: \(verdict)\n")
            Standard.output.write("matrix kernels: \(ONNXModel.matrixKernels)\n")
        }
    }
}
