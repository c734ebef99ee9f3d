import ArgumentParser
import Glibc
import InferWatcherDaemon

/// The `inferwatcher` command line: one-shot prediction and the tools around it.
@main
struct InferWatcherCommand: AsyncParsableCommand {
    static let version = SoftwareVersion.current

    static let configuration = CommandConfiguration(
        commandName: "inferwatcher",
        abstract: "Batch inference over CSV files with ONNX models.",
        discussion: """
            Exit status: 0 success, 1 the work failed (for example an input broke a validation rule), \
            2 usage or configuration error.
            """,
        version: version,
        subcommands: [
            ServeCommand.self, PredictCommand.self, ValidateCommand.self, ModelCommand.self, ReportCommand.self,
            StatusCommand.self, RunNowCommand.self, PruneCommand.self, CheckConfigCommand.self, SampleDataCommand.self,
        ]
    )

    /// Runs the command, mapping failures to the documented exit statuses.
    static func main() async {
        MallocTuning.keepChunkBuffers()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CLIFailure {
            Standard.error.write("inferwatcher: \(failure.message)\n")
            Glibc.exit(failure.status)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            Standard.error.write(fullMessage(for: error) + "\n")
            Glibc.exit(2)
        }
    }
}

/// A failure with the exit status the CLI contract gives it.
struct CLIFailure: Error {
    let status: Int32
    let message: String

    /// The work failed (exit 1).
    static func work(_ message: String) -> CLIFailure { CLIFailure(status: 1, message: message) }
    /// Usage or configuration error (exit 2).
    static func usage(_ message: String) -> CLIFailure { CLIFailure(status: 2, message: message) }
}

/// Unbuffered writes to stdout/stderr.
struct Standard {
    let fd: Int32
    static let output = Standard(fd: 1)
    static let error = Standard(fd: 2)

    func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n <= 0 { return }
                done += n
            }
        }
    }

    var isTerminal: Bool { isatty(fd) == 1 }
}

extension ConfigLoader {
    /// Loads for a CLI command: a bad configuration is a usage error (exit status 2).
    static func loadForCommand(path: String) throws(CLIFailure) -> DaemonConfig {
        do { return try load(path: path) } catch { throw CLIFailure.usage(error.description) }
    }
}
