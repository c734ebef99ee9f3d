import Archive
import Files
import Glibc
import Testing

/// A small tmpfs mounted for one test, so that a full disk (ENOSPC) is real rather than simulated.
final class SmallTmpfs {
    let folder = TemporaryFolder("archive-enospc")
    var path: String { folder.join("mnt") }

    /// Whether this process may mount a tmpfs (root, or CAP_SYS_ADMIN); probed once.
    static let isPossible: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = TemporaryFolder("archive-mount-probe")
        let mounted = Shell.run("mount -t tmpfs -o size=64k tmpfs \(Shell.quote(probe.path)) 2>/dev/null").status == 0
        if mounted { Shell.run("umount \(Shell.quote(probe.path))") }
        return mounted
    }()

    init(sizeKB: Int) {
        mkdir(folder.join("mnt"), 0o755)
        _ = Shell.output("mount -t tmpfs -o size=\(sizeKB)k tmpfs \(Shell.quote(path))")
    }

    /// Grows (or shrinks) the file system in place.
    func resize(toKB sizeKB: Int) {
        _ = Shell.output("mount -o remount,size=\(sizeKB)k \(Shell.quote(path))")
    }

    deinit { Shell.run("umount \(Shell.quote(path))") }
}

// Without the right to mount (not root, or a container without CAP_SYS_ADMIN) these tests are skipped, and
// with them the only check of a real ENOSPC; `FileErrorTests` still covers the error type itself.
@Suite("Disk full (ENOSPC on a 1 MB tmpfs)", .enabled(if: SmallTmpfs.isPossible, "needs permission to mount a tmpfs"))
struct NoSpaceTests {
    @Test("archiving onto a full disk fails with isNoSpace, leaves nothing behind, and succeeds on retry")
    func archiveOnFullDisk() throws {
        let disk = SmallTmpfs(sizeKB: 1024)
        var job = SampleJob(compression: .zstd, root: "\(disk.path)/archive/default")
        // 2 MB that zstd cannot shrink: it cannot fit on a 1 MB file system.
        Fixture.write(Fixture.randomBytes(2 << 20), to: job.inputPath)
        let writer = ArchiveWriter(root: job.root)

        let error = #expect(throws: FileError.self) { try writer.archive(job.request) }

        #expect(error?.isNoSpace == true, "\(String(describing: error))")
        #expect(error?.errno == ENOSPC)
        #expect(error?.description.contains("No space left on device") == true)
        #expect(error?.path?.hasPrefix(disk.path) == true)
        #expect(!Fixture.exists(job.expectedFolder))
        #expect(Fixture.list("\(job.root)/\(job.expectedDateFolder)").isEmpty, "the staging folder is removed")
        for source in job.request.outputs.values { #expect(Fixture.exists(source), "outputs stay for the retry") }

        // The daemon retries once space is freed; the same request then succeeds.
        disk.resize(toKB: 8192)
        let outcome = try writer.archive(job.request)
        guard case .archived(let archived) = outcome else {
            Issue.record("expected .archived, got \(outcome)")
            return
        }
        #expect(
            Shell.sha256(decompressing: "\(archived.folder)/input.csv.zst", with: "zstd -q -dc")
                == Shell.sha256(ofFile: job.inputPath))
        job.request.outputs = [:]
    }

    @Test("AtomicFile on a full disk fails with isNoSpace, keeps the old file and leaves no temporary file")
    func atomicWriteOnFullDisk() throws {
        let disk = SmallTmpfs(sizeKB: 1024)
        try AtomicFile.write(Array("old\n".utf8), to: disk.path, name: "status.json")

        let error = #expect(throws: FileError.self) {
            try AtomicFile.write(Fixture.randomBytes(2 << 20), to: disk.path, name: "status.json")
        }

        #expect(error?.isNoSpace == true)
        #expect(Fixture.read("\(disk.path)/status.json") == Array("old\n".utf8))
        #expect(Fixture.list(disk.path) == ["status.json"])
    }

    @Test("the duplicate index on a full disk fails with isNoSpace and stays consistent")
    func duplicateIndexOnFullDisk() throws {
        let disk = SmallTmpfs(sizeKB: 256)
        let state = "\(disk.path)/state"
        let index = try DuplicateIndex(stateDirectory: state)
        let filler = "\(disk.path)/filler"
        // Fill the file system completely (dd stops at ENOSPC).
        Shell.run("dd if=/dev/zero of=\(Shell.quote(filler)) bs=4k 2>/dev/null")
        let sha = String(repeating: "1", count: 64)

        let error = #expect(throws: FileError.self) { try index.record(sha, folder: "/archive/2026-01-01/a-1") }

        #expect(error?.isNoSpace == true)
        #expect(index.lookup(sha) == nil)
        unlink(filler)
        #expect(try index.record(sha, folder: "/archive/2026-01-01/a-1"))
        let reloaded = try DuplicateIndex(stateDirectory: state)
        #expect(reloaded.lookup(sha) == "/archive/2026-01-01/a-1")
        #expect(reloaded.skippedLines == 0)
    }
}

@Suite("FileError")
struct FileErrorTests {
    @Test("codes compare, print, and isNoSpace is true only for noSpace")
    func codes() {
        let full = FileError(
            code: .noSpace, message: "cannot write", path: "/a/b", errno: ENOSPC, hint: "free space")
        #expect(full.isNoSpace)
        #expect(full.description == "/a/b: cannot write: No space left on device (errno 28); free space")
        #expect(!FileError(code: .io, message: "x").isNoSpace)
        #expect(FileError.Code.noSpace != .io)
        #expect("\(FileError.Code.noSpace)" == "noSpace")
        #expect(FileError(code: .invalid, message: "bad name").description == "bad name")
    }

    @Test("a failed system call is an error with its errno and path, and leaves no temporary file")
    func failedRead() throws {
        // Reading a folder fails with EISDIR, which has no specific code: a plain I/O error.
        let folder = TemporaryFolder()
        let error = #expect(throws: FileError.self) {
            try AtomicFile.copy(from: folder.path, to: folder.path, name: "copy")
        }
        #expect(error?.code == .io)
        #expect(error?.errno == EISDIR)
        #expect(error?.path == folder.path)
        #expect(Fixture.list(folder.path).isEmpty, "no temporary file left")
    }
}
