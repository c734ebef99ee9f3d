import Foundation
import Testing

@Suite("inferwatcher command line")
struct CLITests {
    let model = CLI.fixtureModel("mlp_legacy")

    func sample(_ scratch: Scratch, rows: Int = 2000, seed: Int = 42) throws -> String {
        let path = "\(scratch.path)/in.csv"
        let result = try CLI.run(["sample-data", "--rows", "\(rows)", "--seed", "\(seed)", "--output", path])
        #expect(result.status == 0, "\(result.stderr)")
        return path
    }

    @Test("--help lists the commands and exits 0")
    func help() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        for command in ["predict", "validate", "model", "report", "sample-data"] {
            #expect(result.stdout.contains(command), "\(command)")
        }
        #expect(try CLI.run(["predict", "--help"]).stdout.contains("--include-features"))
    }

    @Test("a misspelt option is reported as unknown, with the closest spelling, before any missing one")
    func unknownOption() throws {
        let result = try CLI.run(["predict", "--inptu", "x.csv", "--output", "o.csv", "--model", model])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown option '--inptu'; did you mean '--input'?"), "\(result.stderr)")
        #expect(!result.stderr.contains("Missing expected argument"))
        let nested = try CLI.run(["model", "inspect", "--output-knd", "logit", model])
        #expect(nested.status == 2)
        #expect(nested.stderr.contains("unknown option '--output-knd'; did you mean '--output-kind'?"), "\(nested.stderr)")
        // A real missing option is still reported as missing.
        let missing = try CLI.run(["predict", "--output", "o.csv", "--model", model])
        #expect(missing.status == 2 && missing.stderr.contains("--input"), "\(missing.stderr)")
    }

    @Test("each subcommand offers only its own options: validate has none of predict's")
    func ownOptionsOnly() throws {
        let validate = try CLI.run(["validate", "--help"]).stdout
        for option in ["--include-features", "--threshold", "--policy", "--max-rejected-fraction", "--batch-size", "--output-kind"] {
            #expect(!validate.contains(option), "validate --help offers \(option)")
        }
        #expect(!validate.contains("copied first to the output"))
        for option in ["--id-column", "--features", "--threads", "--max-issues"] { #expect(validate.contains(option), "\(option)") }
        let predict = try CLI.run(["predict", "--help"]).stdout
        for option in ["--include-features", "--threshold", "--policy", "--id-column", "--features", "--threads"] {
            #expect(predict.contains(option), "\(option)")
        }
    }

    @Test("--max-record-bytes and --max-columns reach the engine in predict and validate; bad values are usage errors")
    func limitFlags() throws {
        let scratch = Scratch()
        let input = try sample(scratch, rows: 100)
        let output = "\(scratch.path)/out.csv"
        for command in [["validate", "--model", model, input], ["predict", "--model", model, "--input", input, "--output", output]] {
            let columns = try CLI.run(command + ["--max-columns", "5"])
            // validate reports on standard output, predict on standard error.
            let said = columns.stdout + columns.stderr
            #expect(columns.status == 1, "\(said)")
            #expect(said.contains("in.csv:1: the input has 11 columns, more than the limit of 5"), "\(said)")
            #expect(said.contains("[too-many-columns]"), "\(said)")
            let record = try CLI.run(command + ["--max-record-bytes", "1KiB"])
            #expect(record.status == 0, "\(record.stderr)")
            let bad = try CLI.run(command + ["--max-record-bytes", "64MB"])
            #expect(bad.status == 2, "\(bad.stderr)")
            #expect(bad.stderr.contains("--max-record-bytes must be a size from 1KiB to 1GiB"), "\(bad.stderr)")
        }
        // A 2,000-byte record on line 3 with a 1 KiB limit.
        let long = "\(scratch.path)/long.csv"
        var lines = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = lines[2] + "," + String(repeating: "9", count: 2000)
        try (lines.joined(separator: "\n") + "\n").write(toFile: long, atomically: true, encoding: .utf8)
        let result = try CLI.run(["validate", "--model", model, long, "--max-record-bytes", "1KiB"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(long):3: the record starting on this line is longer than 1024 bytes"), "\(result.stdout)")
        let help = try CLI.run(["predict", "--help"]).stdout
        #expect(help.contains("--max-record-bytes") && help.contains("--max-columns"))
    }

    @Test("a binary file given as CSV: validate and predict print only escaped, bounded text")
    func binaryInput() throws {
        let scratch = Scratch()
        let input = "\(scratch.path)/ls.csv"
        try FileManager.default.copyItem(atPath: "/bin/ls", toPath: input)
        for command in [
            ["validate", "--model", model, input], ["predict", "--model", model, "--input", input, "--output", "\(scratch.path)/o.csv"],
        ] {
            let result = try CLI.run(command)
            let said = result.stdout + result.stderr
            #expect(result.status == 1, "\(said)")
            #expect(said.utf8.count < 2000, "\(said.utf8.count) bytes")
            #expect(said.contains("\\x00"), "\(said)")  // the bytes are shown, escaped
            #expect(!said.contains("\u{FFFD}"))
            let controls = said.unicodeScalars.filter { $0.properties.generalCategory == .control && $0 != "\n" }
            #expect(controls.isEmpty, "\(said)")
        }
    }

    @Test("sample-data is deterministic and shaped like the original")
    func sampleData() throws {
        let scratch = Scratch()
        let a = try sample(scratch, rows: 1000)
        let first = try String(contentsOfFile: a, encoding: .utf8)
        _ = try sample(scratch, rows: 1000)
        #expect(try String(contentsOfFile: a, encoding: .utf8) == first)
        let lines = first.split(separator: "\n")
        #expect(lines.count == 1001)
        #expect(
            lines[0]
                == "user_id,age,income,credit_score,num_purchases,account_age_days,avg_transaction,num_returns,is_premium,region,category_preference"
        )
        for line in lines.dropFirst() {
            let values = line.split(separator: ",").map { Double($0)! }
            #expect((18...79).contains(values[1]) && (20000...149_999).contains(values[2]) && (300...849).contains(values[3]))
            #expect((10...500).contains(values[6]) && (0...1).contains(values[8]) && (1...4).contains(values[9]))
        }
    }

    @Test(
        "predict never overwrites its input, the model or the rejected file, however the output is spelled",
        arguments: ["same", "dot-slash", "hard-link", "model", "rejected-is-input", "rejected-is-output"])
    func neverDestroysInput(_ clash: String) throws {
        let scratch = Scratch()
        let input = try sample(scratch, rows: 50)
        let original = try String(contentsOfFile: input, encoding: .utf8)
        let modelCopy = "\(scratch.path)/model.onnx"
        try FileManager.default.copyItem(atPath: model, toPath: modelCopy)
        let modelBytes = try Data(contentsOf: URL(fileURLWithPath: modelCopy))
        var arguments = ["predict", "--input", input, "--model", modelCopy, "--quiet"]
        switch clash {
        case "same": arguments += ["--output", input]
        case "dot-slash": arguments += ["--output", "./in.csv"]
        case "hard-link":
            try FileManager.default.linkItem(atPath: input, toPath: "\(scratch.path)/link.csv")
            arguments += ["--output", "\(scratch.path)/link.csv"]
        case "model": arguments += ["--output", modelCopy]
        case "rejected-is-input": arguments += ["--output", "\(scratch.path)/out.csv", "--rejected", input]
        default: arguments += ["--output", "\(scratch.path)/out.csv", "--rejected", "\(scratch.path)/./out.csv"]
        }
        let result = try CLI.run(arguments, in: scratch.path)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("refusing to overwrite it"), "\(result.stderr)")
        #expect(try String(contentsOfFile: input, encoding: .utf8) == original)
        #expect(try Data(contentsOf: URL(fileURLWithPath: modelCopy)) == modelBytes)
        #expect(!FileManager.default.fileExists(atPath: "\(scratch.path)/out.csv"))
    }

    @Test("lenient: the summary names the rejected file, <output stem>.rejected.csv; over the threshold it is still written")
    func lenientNamesTheRejectedFile() throws {
        let scratch = Scratch()
        let input = try sample(scratch, rows: 20)
        var lines = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines[5] = "5,abc" + lines[5].drop { $0 != "," }.dropFirst().drop { $0 != "," }
        try lines.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let common = ["predict", "--input", input, "--model", model, "--policy", "lenient"]
        let within = try CLI.run(common + ["--output", "\(scratch.path)/p.csv", "--max-rejected-fraction", "0.5"])
        #expect(within.status == 0, "\(within.stderr)")
        #expect(
            within.stderr.contains(
                "20 rows read: 19 predicted, 1 rejected; wrote \(scratch.path)/p.csv, rejected rows to \(scratch.path)/p.rejected.csv"))
        #expect(scratch.read("p.rejected.csv")?.hasPrefix("line,column,column_name,rule,reason,record\n6,") == true)

        let over = try CLI.run(common + ["--output", "\(scratch.path)/q.csv", "--max-rejected-fraction", "0.01"])
        #expect(over.status == 1)
        #expect(over.stderr.contains("the rejected rows are in \(scratch.path)/q.rejected.csv"), "\(over.stderr)")
        #expect(scratch.read("q.csv") == nil)
        #expect(scratch.read("q.rejected.csv")?.hasPrefix("line,column,column_name,rule,reason,record\n6,") == true)
    }

    @Test("check-config prints every setting as YAML that check-config accepts again, and --json the same")
    func checkConfigRoundTrip() throws {
        let scratch = Scratch()
        let first = "\(scratch.path)/first.yaml"
        try "state_dir: \(scratch.path)/state\npipelines:\n  churn:\n    settle: 750ms\n    schedule: daily\n"
            .write(toFile: first, atomically: true, encoding: .utf8)
        let printed = try CLI.run(["check-config", "--config", first])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("\n    rescan: 1min\n") && printed.stdout.contains("\n    settle: 750ms\n"))
        let second = "\(scratch.path)/second.yaml"
        try printed.stdout.write(toFile: second, atomically: true, encoding: .utf8)
        let again = try CLI.run(["check-config", "--config", second])
        #expect(again.status == 0, "\(again.stderr)")
        let body = { (text: String) in text.split(separator: "\n").dropFirst().joined(separator: "\n") }  // past the comment
        #expect(body(again.stdout) == body(printed.stdout))
        let json = try CLI.run(["check-config", "--config", second, "--json"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(((object?["pipelines"] as? [String: Any])?["churn"] as? [String: Any])?["settle"] as? String == "750ms")
    }

    @Test("report --json has one schema: a predictions file gives the run's keys, its unknowns null, never \"\" or 0")
    func reportSchema() throws {
        let scratch = Scratch()
        let input = try sample(scratch, rows: 30)
        let run = try CLI.run([
            "predict", "--input", input, "--output", "\(scratch.path)/out.csv", "--model", model, "--report", "\(scratch.path)/run.json",
            "--quiet",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let rebuilt = try CLI.run(["report", "\(scratch.path)/out.csv", "--json"])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        func object(_ data: Data) throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]) }
        let original = try object(Data(contentsOf: URL(fileURLWithPath: "\(scratch.path)/run.json")))
        let summary = try object(Data(rebuilt.stdout.utf8))
        #expect(Set(summary.keys) == Set(original.keys))
        for key in ["input", "model", "rows", "statistics", "validation"] {
            #expect(
                Set((summary[key] as? [String: Any])?.keys ?? [:].keys) == Set((original[key] as? [String: Any])?.keys ?? [:].keys),
                "\(key)")
        }
        let model = try #require(summary["model"] as? [String: Any])
        #expect(model["path"] is NSNull && model["sha256"] is NSNull)
        #expect(summary["threshold"] is NSNull && summary["timings"] is NSNull)
        #expect((summary["validation"] as? [String: Any])?["settings"] is NSNull)
        #expect(summary["started_at"] as? String == original["started_at"] as? String)
        #expect(((summary["input"] as? [String: Any])?["bytes"] as? Int ?? 0) > 0)
        #expect(!rebuilt.stdout.contains("\"\"") && !rebuilt.stdout.contains(": 0,\n    \"sha256\""))
    }

    @Test("profile, then predict --reference --html, then report --html: the drift reaches report.json and both pages")
    func profileAndHTML() throws {
        let scratch = Scratch()
        let train = try sample(scratch, rows: 3000, seed: 7)
        let reference = "\(scratch.path)/ref.json"
        let profiled = try CLI.run(["profile", "--input", train, "--model", model, "--output", reference])
        #expect(profiled.status == 0, "\(profiled.stderr)")
        let input = "\(scratch.path)/today.csv"
        try FileManager.default.moveItem(atPath: try sample(scratch, rows: 2000, seed: 8), toPath: input)
        let run = try CLI.run([
            "predict", "--input", input, "--output", "\(scratch.path)/out.csv", "--model", model, "--reference", reference,
            "--report", "\(scratch.path)/run.json", "--html", "\(scratch.path)/run.html", "--quiet",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(scratch.path)/run.json"))) as? [String: Any])
        let drift = try #require(report["drift"] as? [String: Any])
        let maxPSI = try #require(drift["max_psi"] as? Double)
        #expect(maxPSI < 0.1, "a sample from the reference's distribution stays under warn: \(maxPSI)")
        let page = try String(contentsOfFile: "\(scratch.path)/run.html", encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("Drift") && page.contains("2,000"))
        #expect(!page.contains("<script"))

        let rebuilt = try CLI.run(["report", "\(scratch.path)/out.csv", "--html"])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(rebuilt.stdout.hasPrefix("<!DOCTYPE html>") && rebuilt.stdout.contains("2,000"))
        let folder = "\(scratch.path)/job"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: "\(scratch.path)/run.html", toPath: "\(folder)/report.html")
        #expect(try CLI.run(["report", folder, "--html"]).stdout == page)
        let both = try CLI.run(["report", folder, "--html", "--json"])
        #expect(both.status == 2 && both.stderr.contains("exclusive"), "\(both.stderr)")
    }

    @Test("every subcommand's error is one line, 'inferwatcher: ' and the path first, in one vocabulary, with the documented status")
    func errorPaths() throws {
        let scratch = Scratch()
        let input = try sample(scratch, rows: 5)
        let missing = "\(scratch.path)/missing"
        let cases: [(arguments: [String], status: Int32, words: String)] = [
            (
                ["predict", "--input", "\(missing).csv", "--output", "\(scratch.path)/o.csv", "--model", model], 1,
                "cannot open for reading"
            ),
            (
                ["predict", "--input", input, "--output", "\(scratch.path)/o.csv", "--model", "\(missing).onnx"], 2,
                "cannot read the model file"
            ),
            (["validate", "--model", "\(missing).onnx", input], 2, "cannot read the model file"),
            (["model", "inspect", "\(missing).onnx"], 2, "cannot read the model file"),
            (["report", missing], 1, "cannot open"),
            (["sample-data", "--rows", "3", "--output", "\(missing)/x.csv"], 1, "cannot create"),
            (["check-config", "--config", "\(missing).yaml"], 2, "cannot read the configuration"),
            (["status", "--config", "\(missing).yaml"], 2, "cannot read the configuration"),
            (["run-now", "--config", "\(missing).yaml"], 2, "cannot read the configuration"),
            (["prune", "--config", "\(missing).yaml"], 2, "cannot read the configuration"),
            (["serve", "--config", "\(missing).yaml"], 2, "cannot read the configuration"),
        ]
        for (arguments, status, words) in cases {
            let result = try CLI.run(arguments)
            let lines = result.stderr.split(separator: "\n")
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(lines.count == 1 && lines[0].hasPrefix("inferwatcher: \(missing)"), "\(arguments): \(result.stderr)")
            #expect(
                result.stderr.contains(words) && result.stderr.contains("No such file or directory (errno 2)"),
                "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("The operation could not be completed"), "\(arguments)")
        }
    }

    @Test("- is standard input and output: predict streams, validate and report read, sample-data writes")
    func standardStreams() throws {
        let scratch = Scratch()
        let csv = try String(contentsOfFile: try sample(scratch, rows: 300), encoding: .utf8)
        let streamed = try CLI.run(["predict", "--input", "-", "--output", "-", "--model", model, "--include-features"], stdin: csv)
        #expect(streamed.status == 0, "\(streamed.stderr)")
        let lines = streamed.stdout.split(separator: "\n")
        #expect(lines.count == 301 && lines[0].hasPrefix("user_id,prediction_score,prediction_class,timestamp,age,"))
        #expect(streamed.stderr.contains("300 rows read: 300 predicted, 0 rejected; wrote standard output"))
        #expect(streamed.stderr.contains("Total Predictions: 300"), "the report goes to stderr beside the summary")
        #expect(!FileManager.default.fileExists(atPath: "\(scratch.path)/-"))

        let report = try CLI.run(["report", "-"], stdin: streamed.stdout)
        #expect(report.status == 0 && report.stdout.contains("Total Predictions: 300"), "\(report.stderr)")
        let validated = try CLI.run(["validate", "--model", model, "-"], stdin: csv)
        #expect(validated.status == 0 && validated.stdout.contains("-: OK, 300 rows"), "\(validated.stdout)\(validated.stderr)")
        let generated = try CLI.run(["sample-data", "--rows", "300", "--output", "-"])
        #expect(generated.stdout == csv)
        // Parquet needs its footer first: refused on standard input, with the reason and what to do.
        let parquet = try CLI.run(["predict", "--input", "-", "--output", "-", "--model", model], stdin: "PAR1 rows PAR1")
        #expect(parquet.status == 1)
        #expect(
            parquet.stderr.contains("Parquet cannot stream from standard input (its footer is at the end of the file)"), "\(parquet.stderr)"
        )

        // A strict failure part way: exit 1, and stderr says how many rows went out before it.
        var broken = csv.split(separator: "\n", omittingEmptySubsequences: false)
        broken[200] = "200,abc" + broken[200].drop { $0 != "," }.dropFirst().drop { $0 != "," }
        let failed = try CLI.run(
            ["predict", "--input", "-", "--output", "-", "--model", model, "--batch-size", "64"], stdin: broken.joined(separator: "\n"))
        #expect(failed.status == 1)
        #expect(
            failed.stderr.contains("-:201:2:") && failed.stderr.contains("rows had been written to standard output"), "\(failed.stderr)")
        // Lenient on a stream must say where the rejected rows go.
        let lenient = try CLI.run(["predict", "--input", "-", "--output", "-", "--model", model, "--policy", "lenient"], stdin: csv)
        #expect(lenient.status == 2 && lenient.stderr.contains("lenient needs --rejected PATH"), "\(lenient.stderr)")
    }

    @Test("predict writes predictions and report.json, prints the report, exits 0")
    func predict() throws {
        let scratch = Scratch()
        let input = try sample(scratch)
        let result = try CLI.run([
            "predict", "--input", input, "--output", "\(scratch.path)/out.csv", "--model", model,
            "--include-features", "--report", "\(scratch.path)/report.json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("====="))
        #expect(result.stdout.contains("Total Predictions: 2,000"))
        #expect(
            result.stderr.contains(
                "2000 rows read: 2000 predicted, 0 rejected; wrote \(scratch.path)/out.csv, report to \(scratch.path)/report.json"))
        let lines = try #require(scratch.read("out.csv")).split(separator: "\n")
        #expect(lines.count == 2001)
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(scratch.path)/report.json"))) as! [String: Any]
        let rows = json["rows"] as! [String: Any]
        #expect(rows["read"] as? Int == 2000)
        #expect(rows["counts_add_up"] as? Bool == true)
        // With --report, the input is hashed as it is read.
        let sha256sum = Process()
        sha256sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sha256sum.arguments = [input]
        let hashOut = Pipe()
        sha256sum.standardOutput = hashOut
        try sha256sum.run()
        let expected = String(decoding: hashOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        sha256sum.waitUntilExit()
        #expect((json["input"] as? [String: Any])?["sha256"] as? String == String(expected))

        // `report` on the predictions file rebuilds the same counts.
        let report = try CLI.run(["report", "\(scratch.path)/out.csv"])
        #expect(report.status == 0)
        let positive = result.stdout.split(separator: "\n").first { $0.hasPrefix("Positive:") }
        #expect(report.stdout.split(separator: "\n").first { $0.hasPrefix("Positive:") } == positive)
    }

    @Test("a bad row fails with exit 1 and one line naming file, line and column")
    func validationFailure() throws {
        let scratch = Scratch()
        let input = try sample(scratch, rows: 50)
        var text = try String(contentsOfFile: input, encoding: .utf8)
        text += "51,30,50000,abc,10,100,55.5,1,0,2,3\n"
        scratch.write("in.csv", text)
        let result = try CLI.run(["predict", "--input", input, "--output", "\(scratch.path)/out.csv", "--model", model])
        #expect(result.status == 1)
        #expect(result.stderr == "inferwatcher: \(input):52:4: column 'credit_score' value \"abc\" is not a number [not-a-number]\n")
        #expect(scratch.read("out.csv") == nil)
    }

    @Test("usage and configuration errors exit 2")
    func usageErrors() throws {
        let scratch = Scratch()
        let input = try sample(scratch, rows: 10)
        let unknown = try CLI.run(["predict", "--input", input, "--bogus"])
        #expect(unknown.status == 2)
        let threshold = try CLI.run([
            "predict", "--input", input, "--output", "\(scratch.path)/o.csv", "--model", model, "--threshold", "2",
        ])
        #expect(threshold.status == 2)
        #expect(threshold.stderr.contains("threshold 2.0 is outside [0, 1]"))
        let missingModel = try CLI.run([
            "predict", "--input", input, "--output", "\(scratch.path)/o.csv", "--model", "\(scratch.path)/nope.onnx",
        ])
        #expect(missingModel.status == 2)
        #expect(missingModel.stderr.contains("nope.onnx"))
        let logit = try CLI.run(["predict", "--input", input, "--output", "\(scratch.path)/o.csv", "--model", CLI.fixtureModel("logit")])
        #expect(logit.status == 2)
        #expect(logit.stderr.contains("--output-kind logit"))
    }

    @Test("validate: exit status is the verdict, every problem printed")
    func validate() throws {
        let scratch = Scratch()
        let good = try sample(scratch, rows: 100)
        let bad = scratch.write(
            "bad.csv",
            "user_id,age,income,credit_score,num_purchases,account_age_days,avg_transaction,num_returns,is_premium,region,category_preference\n1,30,50000,600,10,100,55.5,1,0,2,3\n2,x,50000,600,10,100,55.5,1,0,2,3\n3,30,50000,600\n"
        )
        let ok = try CLI.run(["validate", "--model", model, good])
        #expect(ok.status == 0)
        #expect(ok.stdout == "\(good): OK, 100 rows\n")
        let failed = try CLI.run(["validate", "--model", model, good, bad])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("\(bad):3:2: column 'age' value \"x\" is not a number [not-a-number]"))
        #expect(failed.stdout.contains("\(bad):4:5: row has 4 fields but the header has 11 [ragged-row]"))
        #expect(failed.stdout.contains("\(bad): INVALID, 2 of 3 rows have problems"))
    }

    @Test("model inspect lists inputs, outputs, operators and metadata")
    func inspect() throws {
        let result = try CLI.run(["model", "inspect", model])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Gemm"))
        #expect(result.stdout.contains("feature_columns"))
        #expect(result.stdout.contains("features"))
        #expect(result.stdout.contains("matrix kernels: "))
        let unsupported = try CLI.run(["model", "inspect", CLI.fixtureModel("unsupported_ops")])
        #expect(unsupported.status == 2)
        #expect(unsupported.stdout.contains("TopK"))
        #expect(unsupported.stdout.contains("topk_best"))
    }

    @Test("an unusable model is exit status 2 in every command, model inspect included")
    func unusableModelIsStatusTwo() throws {
        let scratch = Scratch()
        let input = try sample(scratch, rows: 10)
        let notAModel = "\(scratch.path)/not-a-model.onnx"
        try "this is not a protobuf".write(toFile: notAModel, atomically: true, encoding: .utf8)
        for model in [notAModel, "\(scratch.path)/missing.onnx"] {
            let inspect = try CLI.run(["model", "inspect", model])
            let predict = try CLI.run(["predict", "--input", input, "--output", "\(scratch.path)/out.csv", "--model", model])
            let validate = try CLI.run(["validate", "--model", model, input])
            #expect([inspect.status, predict.status, validate.status] == [2, 2, 2], "\(model)")
            #expect(inspect.stderr.hasPrefix("inferwatcher: ") && inspect.stderr.contains(model), "\(inspect.stderr)")
        }
    }
}
