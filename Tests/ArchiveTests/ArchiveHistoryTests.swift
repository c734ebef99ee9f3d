import Archive
import Files
import Testing

@Suite("ArchiveHistory")
struct ArchiveHistoryTests {
    /// Archives a job started `days` days after a fixed instant, with `report` as its report.json.
    func archive(root: String, jobID: String, days: Double, report: String) throws -> String {
        var job = SampleJob(compression: .zstd, jobID: jobID, startedAt: 1_795_000_000 + days * 86_400, root: root)
        job.request.documents["report.json"] = Array(report.utf8)
        guard case .archived(let archived) = try ArchiveWriter(root: root).archive(job.request) else {
            Issue.record("\(jobID) was not archived")
            return ""
        }
        return archived.folder
    }

    @Test("lists every job folder by day with its manifest and drift, from --since on; passes over what is not a job")
    func listsJobs() throws {
        let folder = TemporaryFolder()
        let root = folder.join("archive")
        let first = try archive(root: root, jobID: "aaaaaaaaaaa1", days: 0, report: "{\"rows\": 500}")
        let second = try archive(
            root: root, jobID: "aaaaaaaaaaa2", days: 2,
            report: #"{"rows": 500, "drift": {"reference": "/r.json", "max_psi": 0.4125, "alerted": ["credit_score"], "warned": []}}"#)
        let third = try archive(root: root, jobID: "aaaaaaaaaaa3", days: 2, report: "not json")
        // Not jobs: a job being staged, a folder without a manifest, a folder whose name is no date.
        let day = FileTree.parent(of: second)
        try FileTree.makeDirectories(FileTree.join(day, ".batch_input-ffffffffffff.staging"))
        Fixture.write(
            Fixture.read(FileTree.join(second, "manifest.json")), to: FileTree.join(day, ".batch_input-ffffffffffff.staging/manifest.json"))
        try FileTree.makeDirectories(FileTree.join(day, "stray"))
        try FileTree.makeDirectories(FileTree.join(root, "notes"))
        Fixture.write(Fixture.read(FileTree.join(second, "manifest.json")), to: FileTree.join(root, "notes/manifest.json"))

        let dayName = String(day.split(separator: "/").last!)
        let jobs = ArchiveHistory.jobs(in: root)
        #expect(jobs.map(\.folder) == [first, second, third])
        #expect(jobs.map(\.manifest.jobID) == ["aaaaaaaaaaa1", "aaaaaaaaaaa2", "aaaaaaaaaaa3"])
        #expect(jobs.map(\.maxPSI) == [nil, 0.4125, nil])
        #expect(jobs.map(\.driftAlerts) == [[], ["credit_score"], []])
        #expect(jobs[1].manifest.rows.read == 500 && jobs[1].day.description == dayName)

        let since = try #require(CalendarDate(folderName: dayName))
        #expect(ArchiveHistory.jobs(in: root, since: since).map(\.folder) == [second, third])
        #expect(ArchiveHistory.jobs(in: folder.join("missing")).isEmpty)
    }
}
