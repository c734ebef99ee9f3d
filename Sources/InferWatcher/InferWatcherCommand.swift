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
            ServeCommand.self, PredictCommand.self, ValidateCommand.self, ProfileCommand.self, ModelCommand.self, ReportCommand.self,
            StatusCommand.self, HistoryCommand.self, RunNowCommand.self, PruneCommand.self, CheckConfigCommand.self, SampleDataCommand.self,
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
            // A misspelt option first: argument-parser would report the required option it
            // replaced as missing instead.
            let message = UnknownOption.find(in: Array(CommandLine.arguments.dropFirst())) ?? fullMessage(for: error)
            Standard.error.write(message + "\n")
            Glibc.exit(2)
        }
    }
}

/// Finds the first `--option` the command line's subcommand does not have, and the closest one
/// it does have.
enum UnknownOption {
    static func find(in arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = InferWatcherCommand.self
        var words = ["inferwatcher"]
        var index = 0
        while index < arguments.count,
            let sub = command.configuration.subcommands.first(where: { $0._commandName == arguments[index] })
        {
            command = sub
            words.append(arguments[index])
            index += 1
        }
        let known = Set(options(in: command.helpMessage(columns: 10_000))).union(["--help", "--version"])
        for argument in arguments[index...] {
            if argument == "--" { break }
            guard argument.hasPrefix("--"), argument.count > 2 else { continue }
            let name = String(argument.prefix { $0 != "=" })
            guard !known.contains(name) else { continue }
            let closest = known.min { distance(name, $0) < distance(name, $1) }
            let suggestion = closest.map { "; did you mean '\($0)'?" } ?? ""
            return "Error: unknown option '\(name)'\(suggestion) (see '\(words.joined(separator: " ")) --help')"
        }
        return nil
    }

    /// The `--long-options` a help text lists.
    private static func options(in help: String) -> [String] {
        help.split(whereSeparator: { " \n\t,()[]<>=/|".contains($0) })
            .filter { $0.hasPrefix("--") && $0.count > 2 }
            .map { String($0.prefix { $0 == "-" || $0.isLetter || $0.isNumber }) }
    }

    /// Levenshtein distance.
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
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
