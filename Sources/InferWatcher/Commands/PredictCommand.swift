import ArgumentParser
import Engine
import Files
import InferWatcherDaemon

/// `inferwatcher predict`: one file, no daemon (the Python original's "Method 1").
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict every row of one CSV file with an ONNX model.",
        discussion: """
            Writes the predictions CSV (atomically), prints the report, and with --report writes \
            report.json. Under --policy lenient, bad rows go to --rejected (default: the output's \
            stem with .rejected.csv, p.rejected.csv for p.csv) and the file fails only if more than \
            --max-rejected-fraction are bad; the rejected rows are written then too, so you can see why.
            """
    )

    @Option(name: .long, help: "The input CSV file (- for standard input).")
    var input: String

    @Option(name: .long, help: "Where to write the predictions CSV (- for standard output, streamed as rows are made).")
    var output: String

    @Option(name: .long, help: "The ONNX model.")
    var model: String

    @OptionGroup var settings: PredictionSettings

    @Option(name: .long, help: "Also write report.json to this path (with the input's SHA-256, hashed as it is read only then).")
    var report: String?

    @Option(name: .long, help: "Also write report.html to this path: charts, per-feature statistics, drift (one file, no scripts).")
    var html: String?

    @Option(name: .long, help: "Where rejected rows go under --policy lenient (required with --output -).")
    var rejected: String?

    @Flag(name: .long, help: "Don't print the report or progress.")
    var quiet = false

    func run() throws {
        // Only report.json shows the input's hash: without --report, don't spend the CPU on it.
        var options = try settings.options()
        options.hashInput = report != nil
        let predictor = try BatchPredictor.make(modelPath: model, options: options)
        let display = ProgressDisplay(enabled: !quiet && Standard.error.isTerminal)
        let result: PredictionReport
        do {
            result = try predictor.predictCSV(input: input, output: output, rejected: rejected, progress: display.update)
        } catch {
            display.finish()
            throw CLIFailure(predictionError: error)
        }
        display.finish()
        if let report {
            do { try AtomicFile.write(result.json(), to: report) } catch { throw CLIFailure.work(error.description) }
        }
        if let html {
            do { try AtomicFile.write(ReportPage(report: result).html(), to: html) } catch { throw CLIFailure.work(error.description) }
        }
        if !quiet {
            // With the predictions on standard output, the report goes beside the summary.
            (output == "-" ? Standard.error : Standard.output).write(result.text())
            var summary = "\(result.rowsRead) rows read: \(result.rowsPredicted) predicted, \(result.rowsRejected) rejected"
            if result.blankLinesSkipped > 0 { summary += ", \(result.blankLinesSkipped) blank lines skipped" }
            if let duplicates = result.duplicateIDs, duplicates > 0 { summary += "; warning: \(duplicates) duplicate ids" }
            summary += output == "-" ? "; wrote standard output" : "; wrote \(output)"
            if let rejected = result.rejectedRowsPath { summary += ", rejected rows to \(rejected)" }
            if let report { summary += ", report to \(report)" }
            if let html { summary += ", report.html to \(html)" }
            if let drift = result.drift { summary += "; drift: \(drift.summaryLine)" }
            Standard.error.write(summary + "\n")
        }
    }
}

/// Options of the input, shared by `predict` and `validate`.
struct InputSettings: ParsableArguments {
    @Option(name: .long, help: "The id column: present, and non-blank in every row.")
    var idColumn = "user_id"

    @Option(name: .long, help: "Feature columns in model order, comma-separated (when the model has no feature_columns metadata).")
    var features: String?

    @Option(name: .long, help: "Worker threads (0: one per core).")
    var threads = 0

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The longest CSV record accepted: bytes, or with KiB, MiB or GiB (from 1KiB to 1GiB).",
            discussion: "A longer record (a binary file, a quote never closed) fails the file naming its line.",
            valueName: "size"))
    var maxRecordBytes = ByteSize.text(PredictionOptions.defaultMaxRecordBytes)

    @Option(name: .long, help: "The most columns an input may have (a CSV header's fields, a Parquet file's columns).")
    var maxColumns = PredictionOptions.defaultMaxColumns

    /// These settings as engine options (the rest at their defaults).
    func options() throws(CLIFailure) -> PredictionOptions {
        var options = PredictionOptions()
        guard threads >= 0 else { throw .usage("--threads must be 0 or more, not \(threads)") }
        options.idColumn = idColumn
        if let features {
            let names = PredictionOptions.columnNames(fromList: features)
            guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
                throw .usage("--features needs comma-separated column names, got '\(features)'")
            }
            options.features = names
        }
        options.threads = threads
        guard let recordBytes = ByteSize.parse(maxRecordBytes), (1 << 10...1 << 30).contains(recordBytes) else {
            throw .usage(
                "--max-record-bytes must be a size from 1KiB to 1GiB (bytes, or with KiB, MiB, GiB: 64MiB), not '\(maxRecordBytes)'")
        }
        options.maxRecordBytes = recordBytes
        guard (1...10_000_000).contains(maxColumns) else {
            throw .usage("--max-columns must be from 1 to 10000000, not \(maxColumns)")
        }
        options.maxColumns = maxColumns
        return options
    }
}

/// `predict`'s own options: what is written and how rows are judged.
struct PredictionSettings: ParsableArguments {
    @OptionGroup var input: InputSettings

    @Option(name: .long, help: "Rows per model call (0: the measured default).")
    var batchSize = 0

    @Flag(name: .long, help: "Echo every other input column after the predictions (the id column comes first).")
    var includeFeatures = false

    @Option(name: .long, help: "Class 1 when score >= threshold.")
    var threshold = 0.5

    @Option(name: .long, help: "strict: any bad row rejects the file; lenient: bad rows are set aside.")
    var policy = PolicyName.strict

    @Option(name: .long, help: "Lenient only: reject the whole file above this fraction of bad rows.")
    var maxRejectedFraction = 0.01

    @Option(name: .long, help: "How to read the model output: auto, probability, logit or regression.")
    var outputKind = OutputKindName.auto

    @Option(name: .long, help: "A reference profile (inferwatcher profile): report PSI drift per feature and for the score.")
    var reference: String?

    @Option(name: .long, help: "With --reference: a PSI above this warns.")
    var warnPSI = DriftSettings.defaultWarnPSI

    @Option(name: .long, help: "With --reference: a PSI above this alerts.")
    var alertPSI = DriftSettings.defaultAlertPSI

    enum PolicyName: String, ExpressibleByArgument, CaseIterable {
        case strict, lenient
    }

    func options() throws(CLIFailure) -> PredictionOptions {
        var options = try input.options()
        guard batchSize >= 0 else { throw .usage("--batch-size must be 0 or more, not \(batchSize)") }
        options.batchSize = batchSize
        options.includeFeatures = includeFeatures
        options.threshold = threshold
        options.policy = policy == .strict ? .strict : .lenient(maxRejectedFraction: maxRejectedFraction)
        options.outputKind = outputKind.option
        if let reference {
            do { options.drift = try DriftSettings.load(path: reference, warnPSI: warnPSI, alertPSI: alertPSI) } catch {
                throw CLIFailure(predictionError: error)
            }
        }
        return options
    }
}

extension BatchPredictor {
    /// A predictor for the CLI: engine failures become the CLI's exit statuses.
    static func make(modelPath: String, options: PredictionOptions) throws(CLIFailure) -> BatchPredictor {
        do {
            return try BatchPredictor(modelPath: modelPath, options: options)
        } catch {
            throw CLIFailure(predictionError: error)
        }
    }
}

/// `--output-kind` values (``OutputKindOption`` as a command-line argument).
enum OutputKindName: String, ExpressibleByArgument, CaseIterable {
    case auto, probability, logit, regression

    var option: OutputKindOption { OutputKindOption(rawValue: rawValue)! }
}

extension CLIFailure {
    /// Validation, I/O and malformed-input failures are failed work (1); model and usage problems are
    /// configuration (2).
    init(predictionError error: PredictionError) {
        switch error.code {
        case .validation, .io, .malformedInput: self = .work(error.description)
        default: self = .usage(error.description)
        }
    }
}
