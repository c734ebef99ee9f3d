import Synchronization
import Testing

@testable import Engine

/// Runs that end early: cancelled, refused by validation, or with the window full. The threads
/// must all be let go and nothing may trap on the way out.
@Suite("Chunk pipeline: ending early")
struct ChunkPipelineTests {
    @Test("cancelled while the reader waits on a full window: the threads end and the pipeline is freed")
    func cancelWithFullWindow() throws {
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 5_000))
        let reader = try CSVChunkReader(path: input, chunkSize: 4096)
        let first = try #require(try reader.next())
        let window = 3
        var pipeline: ChunkPipeline? = ChunkPipeline(
            source: reader, first: .text(first, start: 0, line: first.firstLine), window: window, workers: 1)
        let shared = try #require(pipeline)
        let thread = JoinableThread(role: "reader") { shared.readAll() }
        // The reader can read `window` chunks and no more until one is merged: wait until it has.
        let deadline = monotonicSeconds() + 10
        var queued = 0
        while queued < window, monotonicSeconds() < deadline {
            if shared.nextChunk() != nil { queued += 1 }
        }
        #expect(queued == window)
        shared.cancel()
        thread.join()
        #expect(shared.nextChunk() == nil)
        // Freeing the pipeline with its semaphores below their starting values used to trap
        // inside Dispatch ("semaphore object deallocated while in use").
        pipeline = nil
        #expect(pipeline == nil)
    }

    @Test("stopped after the first chunk with 2 threads: cancelled, nothing published")
    func stopMidRun() throws {
        let folder = try TemporaryFolder()
        let input = folder.file("in.csv", SampleRows.csv(rows: 20_000))
        let predictor = try BatchPredictor(
            modelPath: Fixtures.model("mlp_legacy"),
            options: testOptions {
                $0.threads = 2
                $0.chunkBytes = 4096
            })
        let calls = Mutex(0)
        do {
            try predictor.predictCSV(
                input: input, output: "\(folder.path)/out.csv",
                shouldStop: {
                    calls.withLock { count in
                        count += 1
                        return count > 2
                    }
                })
            Issue.record("the run was not stopped")
        } catch {
            #expect(error.code == .cancelled)
        }
        #expect(folder.read("out.csv") == nil)
    }

    @Test("a strict validation failure in the first of many chunks, with 2 threads, is reported")
    func strictFailureEarly() throws {
        var lines = SampleRows.csv(rows: 20_000).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[3].split(separator: ",").map(String.init)
        fields[2] = "12abc"
        lines[3] = fields.joined(separator: ",")
        let (reported, _) = try issue(for: lines.joined(separator: "\n")) {
            $0.threads = 2
            $0.chunkBytes = 4096
        }
        let found = try #require(reported)
        #expect(found.line == 4)
        #expect(found.column == 3)
    }
}
