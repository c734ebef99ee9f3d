import Testing

@testable import Engine

@Suite("Validation: every rule names file, line, column and value")
struct ValidationTests {
    let header = "user_id," + Fixtures.featureColumns.joined(separator: ",")
    let good = "1,30,50000,600,10,100,55.5,1,0,2,3"

    @Test("a non-numeric feature")
    func notANumber() throws {
        let (found, input) = try issue(for: "\(header)\n\(good)\n2,30,50000,abc,10,100,55.5,1,0,2,3\n")
        let issue = try #require(found)
        #expect(issue.file == input)
        #expect(issue.line == 3)
        #expect(issue.column == 4)
        #expect(issue.columnName == "credit_score")
        #expect(issue.value == "abc")
        #expect(issue.rule == .notANumber)
        #expect(issue.description == "\(input):3:4: column 'credit_score' value \"abc\" is not a number [not-a-number]")
    }

    @Test("a value with control characters is shown escaped, never raw")
    func escapedValue() throws {
        let (found, input) = try issue(for: "\(header)\n2,30,50000,\u{1B}[31mred\u{07},10,100,55.5,1,0,2,3\n")
        let issue = try #require(found)
        #expect(issue.value == "\\x1B[31mred\\x07")
        #expect(issue.description == "\(input):2:4: column 'credit_score' value \"\\x1B[31mred\\x07\" is not a number [not-a-number]")
    }

    @Test("a header of binary junk is shown escaped and cut short")
    func escapedHeader() throws {
        let junk = (0..<5000).map { "\u{01}col\($0)" }.joined(separator: ",")
        let (found, _) = try issue(for: "\(junk)\n" + (0..<5000).map { _ in "1" }.joined(separator: ",") + "\n")
        let issue = try #require(found)
        #expect(issue.rule == .missingColumn)
        #expect(issue.message.contains("(header has: \\x01col0, \\x01col1, "))
        #expect(issue.message.contains("…)"))
        #expect(issue.message.utf8.count < 400)
        #expect(!issue.message.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    @Test("an empty feature, NaN, infinity and out-of-range values")
    func badNumbers() throws {
        let cases: [(String, ValidationIssue.Rule)] = [
            ("", .emptyValue), ("  ", .emptyValue), ("NaN", .nonFinite), ("-inf", .nonFinite), ("1e39", .outOfRange),
            ("1e999", .outOfRange),
        ]
        for (value, rule) in cases {
            let (found, _) = try issue(for: "\(header)\n\(good)\n\(good)\n3,30,\(value),600,10,100,55.5,1,0,2,3\n")
            let issue = try #require(found, "value '\(value)'")
            #expect(issue.rule == rule, "value '\(value)'")
            #expect(issue.line == 4)
            #expect(issue.column == 3)
            #expect(issue.columnName == "income")
        }
    }

    @Test("ragged rows: too few and too many fields")
    func ragged() throws {
        let (few, _) = try issue(for: "\(header)\n1,30,50000\n")
        #expect(few?.rule == .raggedRow)
        #expect(few?.line == 2)
        #expect(few?.column == 4)
        #expect(few?.message == "row has 3 fields but the header has 11")
        let (many, _) = try issue(for: "\(header)\n\(good)\n\(good),999\n")
        #expect(many?.rule == .raggedRow)
        #expect(many?.line == 3)
        #expect(many?.column == 12)
    }

    @Test("an empty id")
    func emptyID() throws {
        let (found, _) = try issue(for: "\(header)\n\(good)\n ,30,50000,600,10,100,55.5,1,0,2,3\n")
        #expect(found?.rule == .emptyID)
        #expect(found?.line == 3)
        #expect(found?.column == 1)
        #expect(found?.columnName == "user_id")
    }

    @Test("missing required columns: a feature and the id")
    func missingColumns() throws {
        let (feature, _) = try issue(for: "user_id,age,income\n1,2,3\n")
        #expect(feature?.rule == .missingColumn)
        #expect(feature?.line == 1)
        #expect(feature?.columnName == "credit_score")
        #expect(feature?.message.contains("'credit_score', 'num_purchases'") == true)
        let (id, _) = try issue(for: header.replacingOccurrences("user_id", "customer") + "\n" + good + "\n")
        #expect(id?.rule == .missingColumn)
        #expect(id?.columnName == "user_id")
        #expect(id?.message.contains("--id-column") == true)
    }

    @Test("duplicate header names")
    func duplicateHeader() throws {
        let (found, _) = try issue(for: "\(header),age\n\(good),1\n")
        #expect(found?.rule == .duplicateHeader)
        #expect(found?.line == 1)
        #expect(found?.column == 12)
        #expect(found?.columnName == "age")
    }

    @Test("empty file and header-only file")
    func emptyAndHeaderOnly() throws {
        let (empty, _) = try issue(for: "")
        #expect(empty?.rule == .emptyFile)
        #expect(empty?.line == 1)
        let (headerOnly, _) = try issue(for: "\(header)\n")
        #expect(headerOnly?.rule == .noDataRows)
        #expect(headerOnly?.line == 2)
        let (noNewline, _) = try issue(for: header)
        #expect(noNewline?.rule == .noDataRows)
    }

    @Test("malformed and unterminated quotes")
    func quoting() throws {
        let (stray, _) = try issue(for: "\(header)\n\"1\"x,30,50000,600,10,100,55.5,1,0,2,3\n")
        #expect(stray?.rule == .malformedQuoting)
        #expect(stray?.line == 2)
        #expect(stray?.column == 1)
        let (open, _) = try issue(for: "\(header)\n\(good)\n4,\"30,50000,600,10,100,55.5,1,0,2,3\n\(good)\n")
        #expect(open?.rule == .unterminatedQuote)
        #expect(open?.line == 3)
    }

    @Test("line numbers count newlines inside quoted non-feature columns")
    func quotedNewlines() throws {
        let text = "note,\(header)\n\"two\nlines\",\(good)\n\"three\nmore\nlines\",\(good)\nok,5,30,50000,oops,10,100,55.5,1,0,2,3\n"
        let (found, _) = try issue(for: text)
        #expect(found?.line == 7)
        #expect(found?.column == 5)
        #expect(found?.columnName == "credit_score")
    }

    @Test("duplicate ids are warnings: every row is still predicted")
    func duplicateIDs() throws {
        let folder = try TemporaryFolder()
        let input = folder.file("dup.csv", "\(header)\n\(good)\n\(good)\n2,30,50000,600,10,100,55.5,1,0,2,3\n\(good)\n")
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions())
        let report = try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv")
        #expect(report.rowsPredicted == 4)
        #expect(report.duplicateIDs == 2)
        #expect(report.warningSample.map(\.line) == [3, 5])
        #expect(report.warningSample.first?.rule == .duplicateID)
    }

    @Test("a row the model scores as NaN is rejected with its line, plain or quoted; strict fails the file there")
    func nonFiniteScore() throws {
        // score = Sigmoid(Sqrt(a - b)): NaN where a < b.
        var graph = TestGraph(features: 2, outputWidth: 1)
        graph.initializer("w", [1, -1], shape: [2, 1])
        graph.node("MatMul", ["x", "w"], ["d"])
        graph.node("Sqrt", ["d"], ["r"])
        graph.node("Sigmoid", ["r"], ["y"])
        let folder = try TemporaryFolder()
        let model = try graph.write(to: folder)
        // Line 4 is plain (the fast path), line 6 quoted (the general path); both give NaN.
        let input = folder.file("in.csv", "id,a,b\n1,5,1\n2,2,2\n3,1,5\n4,9,0\n\"5\",\"0\",7\n6,3,1\n")
        let lenient = try BatchPredictor(
            modelPath: model,
            options: testOptions {
                $0.idColumn = "id"
                $0.features = ["a", "b"]
                $0.policy = .lenient(maxRejectedFraction: 0.5)
            })
        let report = try lenient.predictCSV(input: input, output: "\(folder.path)/out.csv")
        #expect(report.rowsRead == 6 && report.rowsPredicted == 4 && report.rowsRejected == 2)
        let predicted = try #require(folder.read("out.csv")).split(separator: "\n").dropFirst().map { $0.prefix(while: { $0 != "," }) }
        #expect(predicted == ["1", "2", "4", "6"])
        let rejected = try #require(folder.read("out.rejected.csv")).split(separator: "\n").dropFirst()
        #expect(rejected.map { $0.prefix(while: { $0 != "," }) } == ["4", "6"])
        #expect(rejected.allSatisfy { $0.contains(ValidationIssue.Rule.modelOutputNotFinite.name) && $0.contains("nan") })

        let strict = try BatchPredictor(
            modelPath: model,
            options: testOptions {
                $0.idColumn = "id"
                $0.features = ["a", "b"]
            })
        #expect {
            try strict.predictCSV(input: input, output: "\(folder.path)/strict.csv")
        } throws: { error in
            (error as? PredictionError)?.issue?.line == 4 && (error as? PredictionError)?.issue?.rule == .modelOutputNotFinite
        }
    }

    @Test("lenient: bad rows go to rejected.csv with line and reason, and the counts add up")
    func lenient() throws {
        var text = "\(header)\n"
        var badLines: [Int] = []
        for row in 1...400 {
            if row % 100 == 0 {
                text += "\(row),30,50000,bad,10,100,55.5,1,0,2,3\n"
                badLines.append(row + 1)
            } else {
                text += "\(row),30,\(50000 + row),600,10,100,55.5,1,0,2,3\n"
            }
        }
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", text)
        let output = "\(folder.path)/out.csv"
        let predictor = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.policy = .lenient(maxRejectedFraction: 0.02) })
        let report = try predictor.predictCSV(input: input, output: output)
        #expect(report.rowsRead == 400)
        #expect(report.rowsPredicted == 396)
        #expect(report.rowsRejected == 4)
        #expect(report.countsAddUp)
        let rejected = try #require(folder.read("out.rejected.csv"))
        let lines = rejected.split(separator: "\n")
        #expect(lines.first == "line,column,column_name,rule,reason,record")
        #expect(lines.count == 5)
        #expect(lines.dropFirst().map { Int($0.prefix(while: { $0 != "," }))! } == badLines)
        #expect(
            lines[1]
                == "101,4,credit_score,not-a-number,\"column 'credit_score' value \"\"bad\"\" is not a number\",\"100,30,50000,bad,10,100,55.5,1,0,2,3\""
        )
        #expect(folder.read("out.csv")!.split(separator: "\n").count == 397)
        #expect(report.json().contains("\"counts_add_up\": true"))

        // Over the allowed fraction the predictions are not published; the rejected rows are, and
        // the error says where, so the user can see why.
        let strictish = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.policy = .lenient(maxRejectedFraction: 0.005) })
        let output2 = "\(folder.path)/out2.csv"
        #expect {
            try strictish.predictCSV(input: input, output: output2)
        } throws: { error in
            let issue = (error as? PredictionError)?.issue
            return issue?.rule == .tooManyRejected && issue?.line == 101
                && issue?.message.contains("the rejected rows are in \(folder.path)/out2.rejected.csv") == true
        }
        #expect(folder.read("out2.csv") == nil)
        #expect(folder.read("out2.rejected.csv") == rejected)
    }

    @Test("strict failure publishes nothing")
    func strictPublishesNothing() throws {
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 5000) + "5001,1,2,3\n")
        let predictor = try BatchPredictor(modelPath: Fixtures.model("mlp_legacy"), options: testOptions { $0.chunkBytes = 4096 })
        #expect(throws: PredictionError.self) { try predictor.predictCSV(input: input, output: "\(folder.path)/out.csv") }
        #expect(folder.read("out.csv") == nil)
        #expect(try FolderListing.names(folder.path) == ["in.csv"])
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
