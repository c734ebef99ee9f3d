import Glibc

/// How a prediction run reads its input and what it writes.
public struct PredictionOptions: Sendable {
    /// The column that identifies a row; copied to the output first.
    public var idColumn = "user_id"
    /// Echo every other input column after the prediction columns.
    public var includeFeatures = false
    /// Feature columns in model order, when the model doesn't name them (`feature_columns`).
    public var features: [String]? = nil
    /// Class 1 when score ≥ threshold.
    public var threshold = 0.5
    /// Strict or lenient row checks.
    public var policy = ValidationPolicy.strict
    /// Rows per model call; 0 picks ``PredictionOptions/defaultBatchSize``.
    public var batchSize = 0
    /// Worker threads; 0 means one per core.
    public var threads = 0
    /// How to read the model's output.
    public var outputKind = OutputKindOption.auto
    /// Warn about ids seen twice in one file. Integer ids numbered in order cost a few bytes in
    /// all; ids in random order or text ids cost up to 16 bytes a row.
    public var detectDuplicateIDs = true
    /// Hash the input with SHA-256 as it is read, for the report (`input.sha256` in report.json).
    /// It costs about a tenth of a run's CPU time (SHA-NI hashes 1.1 GB/s on the machine in
    /// docs/PERFORMANCE.md): callers that have the hash already (the daemon, which names jobs by
    /// it) or never read it (`predict` without `--report`) turn it off, and the report's
    /// ``PredictionReport/inputSHA256`` is then nil.
    public var hashInput = true
    /// Bytes per chunk handed to a worker; memory is about `(2 × threads + 1) × 3 ×` this.
    public var chunkBytes = 1 << 20
    /// The longest CSV record accepted, in bytes (its line end not counted): a longer one fails
    /// the file naming its line, instead of the reader holding ever more of it in memory.
    public var maxRecordBytes = PredictionOptions.defaultMaxRecordBytes
    /// The most columns an input may have (a CSV header's fields, a Parquet file's columns).
    public var maxColumns = PredictionOptions.defaultMaxColumns
    /// Check drift against a reference profile (PSI per feature and for the score, in the same
    /// pass; docs/DRIFT.md). Without it the report still has per-feature statistics.
    public var drift: DriftSettings? = nil

    /// ``maxRecordBytes`` when none is configured: 64 MiB.
    public static let defaultMaxRecordBytes = 64 << 20
    /// ``maxColumns`` when none is configured.
    public static let defaultMaxColumns = 100_000

    /// Rows per model call when none is configured. With the small-GEMM kernels 256, 1024 and 4096
    /// measure the same within noise on the yardsticks' 10 → 64 → 32 → 1 MLP (docs/PERFORMANCE.md);
    /// 1024 keeps a batch's hidden layer (1024 × 64 floats) in L2.
    public static let defaultBatchSize = 1024

    /// Replaces the run's start time in the timestamp column (tests compare outputs byte for byte).
    var fixedTimestamp: String? = nil

    public init() {}

    var effectiveBatchSize: Int { batchSize > 0 ? batchSize : Self.defaultBatchSize }

    var effectiveThreads: Int {
        if threads > 0 { return threads }
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(cores, 1)
    }
}

extension PredictionOptions {
    /// Column names from a comma-separated list (`a, b,c`), with the spaces around each trimmed.
    public static func columnNames(fromList text: String) -> [String] {
        text.split(separator: ",").map { name in
            String(name.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        }
    }
}
