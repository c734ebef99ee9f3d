import Files

/// Which input columns feed the model, which is the id, and which are echoed to the output.
public struct ColumnPlan: Sendable, Equatable {
    /// The header's names, unquoted, in file order.
    public let header: [String]
    /// Index of the id column in the header.
    public let idColumn: Int
    /// Header index of each model feature, in the model's input order.
    public let featureColumns: [Int]
    /// Header indices echoed after the prediction columns (every column but the id, in file order),
    /// empty when features are not included.
    public let echoedColumns: [Int]

    /// Maps a header onto a model's inputs.
    ///
    /// A model with several inputs binds them by name: `boundColumns` lists the columns, input
    /// after input, and a `requested` list is then an error. Otherwise features come from, in
    /// order of preference: the model's `feature_columns` metadata, the `requested` list, else
    /// every column but the id in file order. They are matched by name, so the file's column
    /// order is free; extra columns are passed through.
    /// - Throws: a ``ValidationIssue`` on line 1 (duplicate or missing columns, wrong count).
    public init(
        header: [String],
        file: String,
        idColumnName: String,
        modelFeatures: [String]?,
        requested: [String]?,
        featureCount: Int,
        includeFeatures: Bool,
        boundColumns: [String]? = nil
    ) throws(ValidationIssue) {
        var positions: [String: Int] = [:]
        for (index, name) in header.enumerated() {
            if let first = positions[name] {
                throw ValidationIssue(
                    file: file, line: 1, column: index + 1, columnName: Self.shown(name), value: Self.shown(name), rule: .duplicateHeader,
                    message:
                        "header column \(index + 1) '\(Self.shown(name))' repeats column \(first + 1); every column needs a unique name"
                )
            }
            positions[name] = index
        }
        guard let id = positions[idColumnName] else {
            throw ValidationIssue(
                file: file, line: 1, columnName: idColumnName, rule: .missingColumn,
                message:
                    "missing required id column '\(Self.shown(idColumnName))' (header has: \(Self.shown(header.joined(separator: ", ")))); pass the right --id-column"
            )
        }
        let names: [String]
        if let boundColumns {
            if let requested {
                throw ValidationIssue(
                    file: file, line: 1, rule: .featureMismatch,
                    message:
                        "the model binds its inputs to the columns of their names (\(Self.shown(boundColumns.joined(separator: ",")))), so --features \(Self.shown(requested.joined(separator: ","))) does not apply; drop --features (features: in a pipeline)"
                )
            }
            names = boundColumns
        } else if let modelFeatures {
            if let requested, requested != modelFeatures {
                throw ValidationIssue(
                    file: file, line: 1, rule: .featureMismatch,
                    message:
                        "--features \(requested.joined(separator: ",")) disagrees with the model's feature_columns \(modelFeatures.joined(separator: ",")); drop --features or fix the model metadata"
                )
            }
            names = modelFeatures
        } else if let requested {
            names = requested
        } else {
            names = header.enumerated().filter { $0.offset != id }.map(\.element)
        }
        let missing = names.filter { positions[$0] == nil }
        if !missing.isEmpty {
            throw ValidationIssue(
                file: file, line: 1, columnName: Self.shown(missing[0]), rule: .missingColumn,
                message:
                    "missing required feature column\(missing.count == 1 ? "" : "s") \(Self.shown(missing.map { "'\($0)'" }.joined(separator: ", "))) (header has: \(Self.shown(header.joined(separator: ", "))))"
            )
        }
        if let idName = names.first(where: { $0 == idColumnName }) {
            throw ValidationIssue(
                file: file, line: 1, column: id + 1, columnName: Self.shown(idName), rule: .featureMismatch,
                message: "the id column '\(Self.shown(idName))' is also listed as a feature; choose another --id-column or feature list"
            )
        }
        guard names.count == featureCount else {
            throw ValidationIssue(
                file: file, line: 1, rule: .featureMismatch,
                message:
                    "the model takes \(featureCount) features but \(names.count) were selected (\(Self.shown(names.joined(separator: ", ")))); pass --features with exactly \(featureCount) column names"
            )
        }
        self.header = header
        self.idColumn = id
        self.featureColumns = names.map { positions[$0]! }
        self.echoedColumns = includeFeatures ? Array(header.indices.filter { $0 != id }) : []
    }

    /// ``echoedColumns`` as runs of adjacent columns: an unquoted record's run is copied with
    /// one `memcpy`, commas included.
    var echoedRuns: [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for column in echoedColumns {
            if let last = runs.last, last.upperBound + 1 == column {
                runs[runs.count - 1] = last.lowerBound...column
            } else {
                runs.append(column...column)
            }
        }
        return runs
    }
}

extension ColumnPlan {
    /// Header text from the input as a message may show it: control characters and bad bytes as
    /// `\xNN`, cut after 200 bytes (a binary file's "header" can be megabytes of anything). A
    /// backslash is kept: names that were not UTF-8 are already spelt escaped (`caf\xE9`).
    static func shown(_ text: String) -> String { String(escaping: Array(text.utf8), escapingBackslash: false) }
}
