/// Feature values for a batch of rows, column-major: all rows of feature 0, then feature 1, ...
///
/// The in-memory API's batch (`predict(batch:)`, the Python original's `predict_batch`); the model
/// gets a row-major copy via ``rowMajor()``. (CSV runs parse straight into row-major batches.)
public struct FeatureBatch: Sendable {
    /// Number of features per row.
    public let featureCount: Int
    /// Rows the storage has room for.
    public let capacity: Int
    /// Rows filled so far.
    public internal(set) var rowCount = 0
    var storage: [Float]

    /// An empty batch with room for `capacity` rows.
    public init(featureCount: Int, capacity: Int) {
        self.featureCount = featureCount
        self.capacity = max(capacity, 1)
        storage = [Float](repeating: 0, count: featureCount * self.capacity)
    }

    /// A batch holding `columns[f][r]` = feature f of row r.
    public init(columns: [[Float]]) {
        let rows = columns.first?.count ?? 0
        self.init(featureCount: columns.count, capacity: rows)
        for (feature, column) in columns.enumerated() {
            precondition(column.count == rows, "every column of a FeatureBatch needs the same number of rows")
            for (row, value) in column.enumerated() { storage[feature * capacity + row] = value }
        }
        rowCount = rows
    }

    /// Feature `feature` of row `row`.
    public subscript(row row: Int, feature feature: Int) -> Float {
        get { storage[feature * capacity + row] }
        set { storage[feature * capacity + row] = newValue }
    }

    /// The filled rows as a row-major [rowCount, featureCount] array.
    public func rowMajor() -> [Float] {
        let rows = rowCount
        let features = featureCount
        let stride = capacity
        return [Float](unsafeUninitializedCapacity: rows * features) { out, initialized in
            storage.withUnsafeBufferPointer { columns in
                for feature in 0..<features {
                    let column = columns.baseAddress! + feature * stride
                    for row in 0..<rows { out[row * features + feature] = column[row] }
                }
            }
            initialized = rows * features
        }
    }

    mutating func reset() { rowCount = 0 }
}
