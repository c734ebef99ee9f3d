import Glibc

/// How to read a model's output, as the user asks for it.
public enum OutputKindOption: String, Sendable, CaseIterable {
    /// Decide from the model: metadata `output_kind`, else the operator that makes the output.
    case auto
    /// The output already is a probability (one column) or probabilities (one per class).
    case probability
    /// The output is a logit (one column: a sigmoid is applied) or logits per class (softmax).
    case logit
    /// The output is a value to write as `prediction_value`.
    case regression
}

/// What the engine writes for each row, decided once per model.
public struct OutputSchema: Sendable, Equatable {
    /// The shape of the prediction.
    public enum Kind: Sendable, Equatable {
        /// One probability per row: `prediction_score`, `prediction_class` by threshold.
        case binary
        /// Two class probabilities; the score is the second class's, and `prediction_class` is
        /// `labels[1]` when the score reaches the threshold, `labels[0]` otherwise.
        case twoClass(labels: [String])
        /// Three or more classes: class = argmax, score = its probability, `score_<label>` columns.
        case multiclass(labels: [String])
        /// A real value: `prediction_value`.
        case regression
    }

    /// What turns raw model outputs into the probabilities the kind expects.
    public enum Transform: Sendable, Equatable {
        case none
        case sigmoid
        case softmax

        /// Applies the transform to one row's outputs, in place (computed in Double).
        func apply(to values: inout [Float]) {
            switch self {
            case .none:
                break
            case .sigmoid:
                for k in values.indices { values[k] = Float(1 / (1 + exp(-Double(values[k])))) }
            case .softmax:
                let largest = Double(values.max() ?? 0)
                var exponentials = values.map { exp(Double($0) - largest) }
                let total = exponentials.reduce(0, +)
                for k in exponentials.indices { exponentials[k] /= total }
                values = exponentials.map { Float($0) }
            }
        }
    }

    public let kind: Kind
    public let transform: Transform
    /// Floats per row in the model's output.
    public let width: Int

    /// Column names after the id column, before the echoed input columns.
    public var predictionColumns: [String] {
        switch kind {
        case .binary, .twoClass:
            return ["prediction_score", "prediction_class", "timestamp"]
        case .multiclass(let labels):
            return ["prediction_score", "prediction_class", "timestamp"] + labels.map { "score_\($0)" }
        case .regression:
            return ["prediction_value", "timestamp"]
        }
    }

    /// Decides how to read `model`'s output.
    /// - Throws: a ``PredictionError`` when the output could be a logit or a regression value and
    ///   `option` is `.auto`: the message says which option to pass.
    public static func resolve(for model: ONNXModel, option: OutputKindOption) throws(PredictionError) -> OutputSchema {
        let width = model.outputWidth
        var chosen = option
        if chosen == .auto, let declared = model.metadata["output_kind"] {
            guard let parsed = OutputKindOption(rawValue: declared.lowercased()), parsed != .auto else {
                throw PredictionError(
                    .model,
                    "\(model.path): metadata output_kind is '\(declared)'; expected probability, logit or regression"
                )
            }
            chosen = parsed
        }
        let labels = classLabels(model, count: width)
        func classes(_ transform: Transform) throws(PredictionError) -> OutputSchema {
            switch width {
            case 1: return OutputSchema(kind: .binary, transform: transform == .softmax ? .sigmoid : transform, width: 1)
            case 2: return OutputSchema(kind: .twoClass(labels: labels), transform: transform, width: 2)
            default: return OutputSchema(kind: .multiclass(labels: labels), transform: transform, width: width)
            }
        }
        switch chosen {
        case .regression:
            guard width == 1 else {
                throw PredictionError(
                    .model,
                    "\(model.path): output '\(model.outputName)' has \(width) values per row; a regression output must have 1"
                )
            }
            return OutputSchema(kind: .regression, transform: .none, width: 1)
        case .logit:
            return try classes(width == 1 ? .sigmoid : .softmax)
        case .probability:
            return try classes(.none)
        case .auto:
            switch (model.outputProducer, width) {
            case ("Sigmoid", _), ("Softmax", 2...), ("TreeEnsembleClassifier", 2...):
                return try classes(.none)
            case ("LinearClassifier", 2...) where model.outputPostTransform != "NONE":
                // LOGISTIC or SOFTMAX: probabilities (without a transform they are margins).
                return try classes(.none)
            case ("TreeEnsembleRegressor", 1), ("LinearRegressor", 1), ("TreeEnsemble", 1):
                return OutputSchema(kind: .regression, transform: .none, width: 1)
            default:
                throw PredictionError(
                    .model,
                    "\(model.path): output '\(model.outputName)' comes from \(model.outputProducer), not a Sigmoid or Softmax, so it looks like a logit or a regression value, not a probability. Pass --output-kind logit to apply a \(width == 1 ? "sigmoid" : "softmax"), --output-kind regression to write prediction_value, or set the model's metadata output_kind"
                )
            }
        }
    }

    /// Class labels: the classifier node's own, else metadata `class_labels` (JSON list or
    /// comma-separated), else 0, 1, 2, ...
    static func classLabels(_ model: ONNXModel, count: Int) -> [String] {
        if let labels = model.classLabels, labels.count == count {
            return labels
        }
        if let text = model.metadata["class_labels"], let labels = parseNameList(text), labels.count == count {
            return labels
        }
        return (0..<count).map(String.init)
    }
}

/// Parses a list of names written as a JSON array of strings or as comma-separated text.
func parseNameList(_ text: String) -> [String]? {
    let trimmed = text.trimmingSpaces()
    if trimmed.hasPrefix("[") {
        return JSONStringArray.parse(trimmed)
    }
    let names = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
    return names.contains(where: \.isEmpty) ? nil : names
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

/// A small parser for a JSON array of strings (model metadata), without Foundation.
enum JSONStringArray {
    static func parse(_ text: String) -> [String]? {
        let s = Array(text.unicodeScalars)
        var i = 0
        func skipSpace() { while i < s.count && s[i].properties.isWhitespace { i += 1 } }
        skipSpace()
        guard i < s.count, s[i] == "[" else { return nil }
        i += 1
        var result: [String] = []
        skipSpace()
        if i < s.count && s[i] == "]" { return [] }
        while true {
            skipSpace()
            guard i < s.count, s[i] == "\"" else { return nil }
            i += 1
            var value = String.UnicodeScalarView()
            while i < s.count && s[i] != "\"" {
                if s[i] == "\\" {
                    i += 1
                    guard i < s.count else { return nil }
                    switch s[i] {
                    case "n": value.append("\n")
                    case "t": value.append("\t")
                    case "r": value.append("\r")
                    case "u":
                        guard i + 4 < s.count, let code = UInt32(String(String.UnicodeScalarView(s[(i + 1)...(i + 4)])), radix: 16),
                            let scalar = Unicode.Scalar(code)
                        else { return nil }
                        value.append(scalar)
                        i += 4
                    default: value.append(s[i])
                    }
                } else {
                    value.append(s[i])
                }
                i += 1
            }
            guard i < s.count else { return nil }
            i += 1
            result.append(String(value))
            skipSpace()
            guard i < s.count else { return nil }
            if s[i] == "]" {
                i += 1
                skipSpace()
                return i == s.count ? result : nil
            }
            guard s[i] == "," else { return nil }
            i += 1
        }
    }
}

// predictions.csv: the header and both ways of writing a row. Nothing else writes its bytes.
extension OutputSchema {
    /// The header line: the id column, this schema's prediction columns, then the echoed input
    /// columns, each quoted where CSV needs it.
    func headerLine(idColumn: String, echoedColumns: [String]) -> [UInt8] {
        var line = CSVOutputBuffer()
        line.appendField(idColumn)
        for name in predictionColumns + echoedColumns {
            line.append(UInt8(ascii: ","))
            line.appendField(name)
        }
        line.append(UInt8(ascii: "\n"))
        return line.bytes
    }

    /// Appends one row, any kind of model: the id, the prediction columns, the timestamp and the
    /// echoed fields (runs copied verbatim for a plain record, given as `echoedRuns`; fields
    /// re-quoted one by one otherwise). Adds the row's score or value to `statistics`, and for a
    /// multi-class model its class to `classCounts`. Returns that score or value.
    /// - Parameters:
    ///   - kept: the row's kept spans: the id, then the echoed runs or fields.
    ///   - score: the raw output when it is the score as is; otherwise `probabilities` holds the
    ///     row's transformed outputs.
    @inline(__always)
    @discardableResult
    func appendRow(
        to output: inout CSVOutputBuffer, record bytes: UnsafeBufferPointer<UInt8>, kept: UnsafeMutablePointer<FieldSpan>,
        spansPerRow: Int, echoedRuns: Int?, reserving room: Int, score rawScore: Float?, probabilities: [Float], threshold: Float,
        timestamp: [UInt8], statistics: inout ScoreStatistics, classCounts: inout [Int]
    ) -> Float {
        output.reserve(room)
        let rowScore: Float
        output.appendField(copying: kept[0], from: bytes)
        output.append(UInt8(ascii: ","))
        switch kind {
        case .binary:
            let score = rawScore ?? probabilities[0]
            rowScore = score
            let positive = score >= threshold
            statistics.add(Double(score), positive: positive)
            output.append(sixDecimals: score)
            output.append(UInt8(ascii: ","))
            output.append(positive ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            output.append(UInt8(ascii: ","))
            output.append(contentsOf: timestamp)
        case .twoClass(let labels):
            let score = probabilities[1]
            rowScore = score
            let positive = score >= threshold
            statistics.add(Double(score), positive: positive)
            output.append(sixDecimals: score)
            output.append(UInt8(ascii: ","))
            output.appendField(labels[positive ? 1 : 0])
            output.append(UInt8(ascii: ","))
            output.append(contentsOf: timestamp)
        case .multiclass(let labels):
            var best = 0
            for k in 1..<width where probabilities[k] > probabilities[best] { best = k }
            classCounts[best] += 1
            rowScore = probabilities[best]
            statistics.add(Double(probabilities[best]), positive: false)
            output.append(sixDecimals: probabilities[best])
            output.append(UInt8(ascii: ","))
            output.appendField(labels[best])
            output.append(UInt8(ascii: ","))
            output.append(contentsOf: timestamp)
            for k in 0..<width {
                output.append(UInt8(ascii: ","))
                output.append(sixDecimals: probabilities[k])
            }
        case .regression:
            let value = probabilities[0]
            rowScore = value
            statistics.add(Double(value), positive: false)
            output.append(shortest: value)
            output.append(UInt8(ascii: ","))
            output.append(contentsOf: timestamp)
        }
        if let echoedRuns {
            for k in 0..<echoedRuns {
                output.append(UInt8(ascii: ","))
                output.append(UnsafeBufferPointer(rebasing: bytes[kept[1 + k].start..<kept[1 + k].end]))
            }
        } else {
            for k in 1..<spansPerRow {
                output.append(UInt8(ascii: ","))
                output.appendField(copying: kept[k], from: bytes)
            }
        }
        output.append(UInt8(ascii: "\n"))
        return rowScore
    }

    /// The usual row, written in one go: a plain record (its fields verbatim) of a binary model
    /// whose raw output is the score. The same bytes as ``appendRow`` writes for it.
    @inline(__always)
    static func writePlainBinaryRow(
        to output: inout CSVOutputBuffer, record bytes: UnsafeBufferPointer<UInt8>, kept: UnsafeMutablePointer<FieldSpan>,
        echoedRuns runs: Int, recordLength: Int, score: Float, positive: Bool, timestamp: [UInt8]
    ) {
        let source = bytes.baseAddress.unsafelyUnwrapped
        timestamp.withUnsafeBufferPointer { timestamp in
            let stamp = timestamp.baseAddress.unsafelyUnwrapped
            // The id and echoed runs come from the record; commas, score, class, timestamp, LF.
            let room = recordLength + CSVOutputBuffer.sixDecimalsMaximum + timestamp.count + 8
            output.write(atMost: room) { target in
                let id = kept[0]
                var n = id.end - id.start
                CSVOutputBuffer.copy(source + id.start, n, to: target)
                target[n] = UInt8(ascii: ",")
                n += 1
                n += CSVOutputBuffer.writeSixDecimals(score, to: target + n)
                target[n] = UInt8(ascii: ",")
                target[n + 1] = positive ? UInt8(ascii: "1") : UInt8(ascii: "0")
                target[n + 2] = UInt8(ascii: ",")
                n += 3
                CSVOutputBuffer.copy(stamp, timestamp.count, to: target + n)
                n += timestamp.count
                for k in 0..<runs {
                    let run = kept[1 + k]
                    target[n] = UInt8(ascii: ",")
                    CSVOutputBuffer.copy(source + run.start, run.end - run.start, to: target + n + 1)
                    n += 1 + run.end - run.start
                }
                target[n] = UInt8(ascii: "\n")
                return n + 1
            }
        }
    }
}
