import ArgumentParser
import Engine
import Files

/// `inferwatcher profile`: the reference profile that drift is measured against.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Profile training data once, as the reference for drift detection.",
        discussion: """
            Runs the model over every row of --input (the data it was trained on) and writes, per \
            feature and for the score, the decile bin edges and counts, the missing rate and, for \
            string columns, the most frequent categories. Jobs then report the PSI of each feature \
            against it (predict --reference, or drift.reference in a pipeline). See docs/DRIFT.md.
            """
    )

    @Option(name: .long, help: "The reference CSV or Parquet file (- for standard input).")
    var input: String

    @Option(name: .long, help: "The ONNX model the jobs will use.")
    var model: String

    @Option(name: .long, help: "Where to write the profile (- for standard output).")
    var output = "ref.json"

    @OptionGroup var settings: PredictionSettings

    @Option(name: .long, help: "Where rejected rows go under --policy lenient.")
    var rejected: String?

    func run() throws {
        let predictor = try BatchPredictor.make(modelPath: model, options: try settings.options())
        let profile: ReferenceProfile
        do { profile = try predictor.profile(input: input, rejected: rejected) } catch { throw CLIFailure(predictionError: error) }
        let text = profile.json() + "\n"
        if output == "-" {
            Standard.output.write(text)
        } else {
            do { try AtomicFile.write(text, to: output) } catch { throw CLIFailure.work(error.description) }
            Standard.error.write("profiled \(profile.source.rows) rows, \(profile.features.count) features; wrote \(output)\n")
        }
    }
}
