import Glibc
import Parquet
import Testing

/// The committed fixtures (Fixtures/make_parquet_fixtures.py) and the text they must give.
enum Fixtures {
    static let folder: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()  // FixtureTests.swift
        return parts.joined(separator: "/") + "/Fixtures"
    }()

    static func path(_ name: String) -> String { "\(folder)/\(name)" }

    /// Every combination the script writes: encoding × data page version × codec.
    static let matrix: [String] = {
        var names: [String] = []
        for encoding in ["plain", "dictionary", "delta", "bytestreamsplit"] {
            for version in ["v1", "v2"] {
                for codec in ["none", "snappy", "gzip", "zstd"] { names.append("\(encoding)-\(version)-\(codec).parquet") }
            }
        }
        return names
    }()

    static func bytes(_ name: String) -> [UInt8] {
        let descriptor = open(path(name), O_RDONLY)
        precondition(descriptor >= 0, "cannot open \(name)")
        defer { close(descriptor) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    /// The expected CSV: a header, then one line per row; `\N` marks null.
    static func expected(_ name: String) -> (header: [String], rows: [[String]]) {
        let text = String(decoding: bytes(name), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let split = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (split[0], Array(split.dropFirst()))
    }
}

/// Compares every value of `file` with the expected text; returns how many values were checked.
@discardableResult
func compareWithExpected(_ name: String, expectedFile: String = "expected.csv") throws -> Int {
    let file = try ParquetFile(path: Fixtures.path(name))
    let (header, rows) = Fixtures.expected(expectedFile)
    #expect(file.rowCount == rows.count, "\(name)")
    var checked = 0
    for (columnIndex, column) in file.columns.enumerated() {
        let expectedColumn = try #require(header.firstIndex(of: column.name), "\(name): column \(column.name) not in \(expectedFile)")
        for (groupIndex, group) in file.rowGroups.enumerated() {
            let data = try file.readColumn(rowGroup: groupIndex, column: columnIndex)
            #expect(data.rowCount == group.rowCount)
            var floats = [Float](repeating: 0, count: group.rowCount)
            var nullRows: [Int] = []
            if column.isNumeric {
                try floats.withUnsafeMutableBufferPointer { buffer in
                    try data.copyFloats(into: buffer.baseAddress!, stride: 1, rows: 0..<group.rowCount, nullRows: &nullRows)
                }
            }
            var nulls = 0
            for row in 0..<group.rowCount {
                let want = rows[group.firstRow + row][expectedColumn]
                var text: [UInt8] = []
                data.appendText(row, to: &text)
                if want == "\\N" {
                    #expect(data.isNull(row), "\(name) \(column.name) row \(group.firstRow + row): null expected")
                    #expect(data.doubleValue(row) == nil)
                    nulls += 1
                    if column.isNumeric { #expect(floats[row].isNaN && nullRows.contains(row)) }
                } else {
                    #expect(!data.isNull(row), "\(name) \(column.name) row \(group.firstRow + row): null, \(want) expected")
                    #expect(
                        String(decoding: text, as: UTF8.self) == want,
                        "\(name) \(column.name) row \(group.firstRow + row)")
                    if column.isNumeric, let number = Double(want) {
                        var value = try #require(data.doubleValue(row))
                        if column.physicalType == .float { value = Double(Float(number)) == value ? number : value }
                        #expect(value == number || (value.isNaN && number.isNaN), "\(name) \(column.name) row \(group.firstRow + row)")
                        let single = Float(number)
                        #expect(floats[row] == single || (floats[row].isNaN && single.isNaN))
                    } else if want == "true" || want == "false" {
                        #expect(data.doubleValue(row) == (want == "true" ? 1 : 0))
                    }
                }
                checked += 1
            }
            #expect(data.nullCount == nulls, "\(name) \(column.name) row group \(groupIndex)")
            if column.isNumeric { #expect(nullRows.count == nulls) }
        }
    }
    return checked
}

@Suite struct FixtureTests {
    @Test(arguments: Fixtures.matrix)
    func everyValueMatchesPyarrow(_ name: String) throws {
        let checked = try compareWithExpected(name)
        #expect(checked == 300 * 16)
    }

    @Test func schemaOfTheTable() throws {
        let file = try ParquetFile(path: Fixtures.path("dictionary-v1-zstd.parquet"))
        #expect(file.rowCount == 300)
        #expect(file.rowGroups.map(\.rowCount) == [128, 128, 44])
        #expect(file.rowGroups.map(\.firstRow) == [0, 128, 256])
        let byName = Dictionary(uniqueKeysWithValues: file.columns.map { ($0.name, $0) })
        #expect(byName["id"]?.isOptional == false)
        #expect(byName["id"]?.physicalType == .int64)
        #expect(byName["name"]?.logicalType == .string)
        #expect(byName["name"]?.isOptional == true)
        #expect(byName["f32"]?.physicalType == .float)
        #expect(byName["u32"]?.logicalType == .integer(bitWidth: 32, isSigned: false))
        #expect(byName["small"]?.logicalType == .integer(bitWidth: 16, isSigned: true))
        #expect(byName["day"]?.logicalType == .date)
        #expect(byName["ts_utc"]?.logicalType == .timestamp(unit: .microseconds, isAdjustedToUTC: true))
        #expect(byName["ts_local"]?.logicalType == .timestamp(unit: .milliseconds, isAdjustedToUTC: false))
        #expect(byName["dec9"]?.logicalType == .decimal(precision: 9, scale: 2))
        #expect(byName["dec20"]?.physicalType == .fixedLenByteArray)
        #expect(byName["dec20"]?.typeLength == 9)
        #expect(file.columns.map(\.index) == Array(0..<16))
    }

    @Test func polarsFile() throws {
        try compareWithExpected("polars.parquet")
    }

    @Test func decimalsStoredAsIntegers() throws {
        let file = try ParquetFile(path: Fixtures.path("decimal-as-integer.parquet"))
        #expect(file.columns.first { $0.name == "dec9" }?.physicalType == .int32)
        try compareWithExpected("decimal-as-integer.parquet")
    }

    @Test func int96Timestamps() throws {
        let file = try ParquetFile(path: Fixtures.path("int96.parquet"))
        #expect(file.columns.first { $0.name == "ts_utc" }?.physicalType == .int96)
        try compareWithExpected("int96.parquet", expectedFile: "expected-int96.csv")
    }

    @Test func nestedColumnIsRefusedByName() {
        #expect {
            _ = try ParquetFile(path: Fixtures.path("nested.parquet"))
        } throws: { error in
            guard let error = error as? ParquetError else { return false }
            return error.code == .unsupported && error.description.contains("\"values\"") && error.description.contains("nested.parquet")
        }
    }

    @Test func stringsAndBytes() throws {
        let file = try ParquetFile(path: Fixtures.path("plain-v2-snappy.parquet"))
        let column = try #require(file.columns.firstIndex { $0.name == "name" })
        let data = try file.readColumn(rowGroup: 0, column: column)
        #expect(data.string(0) == "alpha0")
        #expect(data.string(6) == nil)
        #expect(data.withBytes(1) { Array($0) } == Array("beta".utf8))
        #expect(data.doubleValue(0) == nil)
        var floats = [Float](repeating: 0, count: 1)
        var nulls: [Int] = []
        #expect(throws: ParquetError.self) {
            try floats.withUnsafeMutableBufferPointer {
                try data.copyFloats(into: $0.baseAddress!, stride: 1, rows: 0..<1, nullRows: &nulls)
            }
        }
    }

    @Test func copyFloatsWithStrideAndOffset() throws {
        let file = try ParquetFile(path: Fixtures.path("dictionary-v2-zstd.parquet"))
        let f1 = try #require(file.columns.firstIndex { $0.name == "f1" })
        let data = try file.readColumn(rowGroup: 0, column: f1)
        var matrix = [Float](repeating: -1, count: 3 * 20)
        var nullRows: [Int] = []
        try matrix.withUnsafeMutableBufferPointer { buffer in
            try data.copyFloats(into: buffer.baseAddress! + 1, stride: 3, rows: 5..<25, nullRows: &nullRows)
        }
        #expect(nullRows == [10, 21])
        for index in 0..<20 {
            let row = 5 + index
            if data.isNull(row) {
                #expect(matrix[index * 3 + 1].isNaN)
            } else {
                #expect(matrix[index * 3 + 1] == Float(data.doubleValue(row)!))
            }
            #expect(matrix[index * 3] == -1 && matrix[index * 3 + 2] == -1)
        }
    }

    @Test func concurrentReadsAgree() async throws {
        let file = try ParquetFile(path: Fixtures.path("plain-v1-zstd.parquet"))
        let texts = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for column in 0..<file.columns.count {
                group.addTask {
                    var text: [UInt8] = []
                    for rowGroup in 0..<file.rowGroups.count {
                        let data = try file.readColumn(rowGroup: rowGroup, column: column)
                        for row in 0..<data.rowCount { data.appendText(row, to: &text) }
                    }
                    return (column, text)
                }
            }
            var result: [Int: [UInt8]] = [:]
            for try await (column, text) in group { result[column] = text }
            return result
        }
        for column in 0..<file.columns.count {
            var text: [UInt8] = []
            for rowGroup in 0..<file.rowGroups.count {
                let data = try file.readColumn(rowGroup: rowGroup, column: column)
                for row in 0..<data.rowCount { data.appendText(row, to: &text) }
            }
            #expect(texts[column] == text)
        }
    }

    @Test func indexOutOfRange() throws {
        let file = try ParquetFile(path: Fixtures.path("plain-v1-none.parquet"))
        #expect {
            _ = try file.readColumn(rowGroup: 3, column: 0)
        } throws: { ($0 as? ParquetError)?.code == .outOfRange }
    }
}
