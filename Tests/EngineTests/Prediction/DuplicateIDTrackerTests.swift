import Testing

@testable import Engine

@Suite("Duplicate ids")
struct DuplicateIDTrackerTests {
    /// One chunk's log of `ids` on consecutive lines from `firstLine`.
    private func log(_ ids: [String], firstLine: Int = 2) -> RowIDLog {
        var log = RowIDLog()
        for (offset, id) in ids.enumerated() {
            let bytes = Array(id.utf8)
            bytes.withUnsafeBufferPointer { buffer in
                log.record(buffer, FieldSpan(start: 0, end: buffer.count, flags: 0), line: firstLine + offset)
            }
        }
        return log
    }

    private func duplicates(_ chunks: [RowIDLog]) -> (lines: [Int], tracker: DuplicateIDTracker) {
        var tracker = DuplicateIDTracker()
        var lines: [Int] = []
        for chunk in chunks { tracker.add(chunk) { lines.append($0) } }
        return (lines, tracker)
    }

    @Test("ids numbered in order take one range however many there are")
    func orderedIDsStayFlat() {
        let chunks = (0..<50).map { chunk in log((0..<1000).map { String(chunk * 1000 + $0 + 1) }, firstLine: 2 + chunk * 1000) }
        #expect(chunks[0].runs.count == 1)
        let (lines, tracker) = duplicates(chunks)
        #expect(lines.isEmpty)
        #expect(tracker.rangeCount == 1)
    }

    @Test("repeated integer ids are found with their lines, in file order, across chunks")
    func repeatedIntegers() {
        // Lines 2… hold 5, 6, 7, 1, 2, 3; the next chunk (lines 100…) repeats 2, 3, 4, 5 and 9, 9.
        let first = log(["5", "6", "7", "1", "2", "3"])
        let second = log(["2", "3", "4", "5", "9", "9"], firstLine: 100)
        let (lines, tracker) = duplicates([first, second])
        #expect(lines == [100, 101, 103, 105])
        #expect(tracker.rangeCount == 2)  // 1…7 and 9
    }

    @Test("text ids and non-canonical numbers are hashed; 7 and 007 are different ids")
    func hashedIDs() {
        let chunk = log(["a", "007", "7", "b", "a", "-1", "007", "\"x\"", "7"])
        let (lines, _) = duplicates([chunk])
        #expect(lines == [6, 8, 10])
        #expect(chunk.runs.count == 2)  // 7 on line 4, 7 on line 10
        #expect(chunk.hashed.count == 7)
    }

    @Test("a run that overlaps and bridges earlier ranges reports each repeat once and merges them")
    func bridgingRun() {
        let (lines, tracker) = duplicates([
            log(["10", "11"], firstLine: 2), log(["20", "21"], firstLine: 4), log(Array(9...22).map(String.init), firstLine: 10),
        ])
        #expect(lines == [11, 12, 21, 22])
        #expect(tracker.rangeCount == 1)
    }
}
