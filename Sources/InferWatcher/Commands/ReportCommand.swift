import ArgumentParser
import Engine
import Files
import Glibc
import InferWatcherDaemon

/// `inferwatcher report`: prints the report of an archived job or of a predictions file.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the report of an archived job folder or a predictions CSV.",
        discussion: """
            For a job folder, prints its report.txt. For a predictions CSV, recomputes the report from \
            its prediction columns (six-decimal scores, so statistics may differ in the last digit). \
            --html prints report.html instead: a job folder's own, or for a predictions CSV one made \
            from the recomputed report (scores and classes; feature statistics and drift are made \
            only where the model runs: predict --html, the daemon).
            """
    )

    @Argument(help: "An archive job folder, a report.txt, or a predictions CSV.")
    var path: String

    @Flag(name: .long, help: "Print report.json instead (job folders and predictions files).")
    var json = false

    @Flag(name: .long, help: "Print report.html instead (job folders and predictions files): redirect it to a file and open that.")
    var html = false

    func validate() throws {
        if json && html { throw ValidationError("--json and --html are exclusive: pick one") }
    }

    func run() throws {
        let kind = path == "-" ? .file : FileKind(path)  // - : a predictions file on standard input
        switch kind {
        case .missing:
            throw CLIFailure.work(FileError.system("cannot open", path: path, errno: ENOENT).description)
        case .directory:
            let name = json ? "report.json" : html ? "report.html" : "report.txt"
            do {
                Standard.output.write(try FileContents.text(path + "/" + name))
            } catch {
                throw CLIFailure.work("\(path): not a job folder (\(error.description))")
            }
        case .file where path.hasSuffix(".txt") || path.hasSuffix(".json") || path.hasSuffix(".html"):
            do { Standard.output.write(try FileContents.text(path)) } catch { throw CLIFailure.work(error.description) }
        case .file:
            do {
                let report = try PredictionsFileSummary.report(path: path)
                Standard.output.write(json ? report.json() : html ? ReportPage(report: report).html() : report.text())
            } catch {
                throw CLIFailure(predictionError: error)
            }
        }
    }
}
