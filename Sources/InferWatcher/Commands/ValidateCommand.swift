import ArgumentParser
import Engine

/// `inferwatcher validate`: checks input files against a model without predicting.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check CSV files against a model's inputs; the exit status is the verdict.",
        discussion: "Prints every problem (file:line:column: what and which rule) and exits 1 if any file has one."
    )

    @Option(name: .long, help: "The ONNX model whose inputs the files must fit.")
    var model: String

    @OptionGroup var settings: InputSettings

    @Option(name: .long, help: "Problems printed per file (all are counted).")
    var maxIssues = 20

    @Argument(help: "CSV files to check (- for standard input).")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one CSV file to check") }
    }

    func run() throws {
        var options = try settings.options()
        // Validation runs no model, so how its output reads does not matter: any kind will do,
        // and `auto` would refuse a logit model for nothing.
        options.outputKind = .probability
        let predictor = try BatchPredictor.make(modelPath: model, options: options)
        var failed = 0
        for file in files {
            do {
                let summary = try predictor.validateCSV(input: file, issueLimit: maxIssues)
                if summary.invalidRows == 0 {
                    Standard.output.write(
                        "\(file): OK, \(summary.rowsRead) rows\(summary.duplicateIDs > 0 ? " (warning: \(summary.duplicateIDs) duplicate ids)" : "")\n"
                    )
                } else {
                    failed += 1
                    for issue in summary.issues { Standard.output.write("\(issue)\n") }
                    let hidden = summary.invalidRows - summary.issues.count
                    Standard.output.write(
                        "\(file): INVALID, \(summary.invalidRows) of \(summary.rowsRead) rows have problems\(hidden > 0 ? " (\(hidden) not shown)" : "")\n"
                    )
                }
            } catch {
                if [.validation, .io, .malformedInput].contains(error.code) {
                    failed += 1
                    Standard.output.write("\(error)\n\(file): INVALID\n")
                } else {
                    throw CLIFailure(predictionError: error)
                }
            }
        }
        if failed > 0 { throw CLIFailure.work("\(failed) of \(files.count) file\(files.count == 1 ? "" : "s") failed validation") }
    }
}
