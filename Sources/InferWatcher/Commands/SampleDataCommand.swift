import ArgumentParser
import Files
import Glibc

/// `inferwatcher sample-data`: the Python original's sample input, for demos and benchmarks.
struct SampleDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-data",
        abstract: "Write a seeded sample input CSV shaped like the Python original's (user_id + 10 features).",
        discussion: """
            Columns and ranges: age 18-79, income 20000-149999, credit_score 300-849, num_purchases 0-49, \
            account_age_days 1-3649, avg_transaction uniform 10-500, num_returns 0-9, is_premium 0-1, \
            region 1-4, category_preference 1-9. The same seed always gives the same file.
            """
    )

    @Option(name: .long, help: "Number of data rows.")
    var rows = 10_000

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 42

    @Option(name: .long, help: "Output path (- for standard output).")
    var output = "-"

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows must be 0 or more") }
    }

    func run() throws {
        do throws(FileError) {
            // A file appears whole (atomically); standard output streams.
            let file: AtomicFileWriter? = output == "-" ? nil : try AtomicFileWriter(path: output)
            let standardOutput = file == nil ? try OpenFile.standardOutput() : nil
            func flush(_ buffer: inout [UInt8]) throws(FileError) {
                let outcome = buffer.withUnsafeBytes { bytes in
                    Result { () throws(FileError) in
                        if let file { try file.write(bytes) } else { try standardOutput?.write(bytes) }
                    }
                }
                try outcome.get()
                buffer.removeAll(keepingCapacity: true)
            }
            var generator = SampleDataGenerator(seed: seed)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            buffer.append(contentsOf: SampleDataGenerator.header.utf8)
            for id in 0..<rows {
                generator.appendRow(id: id + 1, to: &buffer)
                if buffer.count >= 1 << 20 { try flush(&buffer) }
            }
            try flush(&buffer)
            try file?.commit()
            try standardOutput?.close()
        } catch {
            throw CLIFailure.work(error.description)
        }
    }
}

/// Seeded rows with the Python original's columns and value ranges.
struct SampleDataGenerator {
    static let header =
        "user_id,age,income,credit_score,num_purchases,account_age_days,avg_transaction,num_returns,is_premium,region,category_preference\n"

    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// SplitMix64: small, fast and the same on every machine.
    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in low..<high.
    private mutating func integer(_ low: Int, _ high: Int) -> Int { low + Int(next() % UInt64(high - low)) }

    mutating func appendRow(id: Int, to buffer: inout [UInt8]) {
        func number(_ value: Int) { buffer.append(contentsOf: String(value).utf8) }
        number(id)
        for (low, high) in [(18, 80), (20000, 150_000), (300, 850), (0, 50), (1, 3650)] {
            buffer.append(UInt8(ascii: ","))
            number(integer(low, high))
        }
        // avg_transaction: uniform in [10, 500), written with 8 decimals like numpy's repr would round.
        let cents = integer(1_000_000_000, 50_000_000_000)
        buffer.append(UInt8(ascii: ","))
        number(cents / 100_000_000)
        buffer.append(UInt8(ascii: "."))
        let fraction = String(cents % 100_000_000)
        buffer.append(contentsOf: (String(repeating: "0", count: 8 - fraction.count) + fraction).utf8)
        for (low, high) in [(0, 10), (0, 2), (1, 5), (1, 10)] {
            buffer.append(UInt8(ascii: ","))
            number(integer(low, high))
        }
        buffer.append(UInt8(ascii: "\n"))
    }
}
