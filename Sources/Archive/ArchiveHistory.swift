import Files
import FoundationEssentials

/// Reads what an archive holds, from the archive itself (no daemon state is needed).
public enum ArchiveHistory {
    /// One job folder of the archive, as `inferwatcher history` lists it: its manifest, and the
    /// drift figures of its report.json when the job was checked against a reference.
    public struct Job: Sendable {
        /// The day folder's date.
        public var day: CalendarDate
        /// The job folder's path.
        public var folder: String
        public var manifest: ArchiveManifest
        /// report.json's `drift.max_psi`; nil when the job had no reference (or no readable report).
        public var maxPSI: Double?
        /// report.json's `drift.alerted`: the features over the alert threshold.
        public var driftAlerts: [String]
    }

    /// Every job folder in the dated folders of `archive` from `since` on, by day, then by name.
    ///
    /// Folders that are not jobs are passed over: hidden ones (a job being staged, a day being
    /// pruned), and any without a readable manifest.json. A missing archive has no jobs.
    public static func jobs(in archive: String, since: CalendarDate? = nil) -> [Job] {
        let days = ((try? FileTree.list(archive)) ?? []).compactMap { name -> (CalendarDate, String)? in
            guard let day = CalendarDate(folderName: name), since.map({ day >= $0 }) ?? true else { return nil }
            return (day, FileTree.join(archive, name))
        }
        var jobs: [Job] = []
        for (day, dayFolder) in days.sorted(by: { $0.0 < $1.0 }) {
            for name in ((try? FileTree.list(dayFolder)) ?? []).sorted() where !name.hasPrefix(".") {
                let folder = FileTree.join(dayFolder, name)
                guard let bytes = try? FileContents.read(FileTree.join(folder, "manifest.json")),
                    let manifest = try? JSONDecoder().decode(ArchiveManifest.self, from: Data(bytes))
                else { continue }
                let drift = (try? FileContents.read(FileTree.join(folder, "report.json")))
                    .flatMap { try? JSONDecoder().decode(ReportDrift.self, from: Data($0)) }?.drift
                jobs.append(
                    Job(
                        day: day, folder: folder, manifest: manifest, maxPSI: drift?.maximumPSI, driftAlerts: drift?.alerted ?? []))
            }
        }
        return jobs
    }

    /// The part of report.json that history shows.
    private struct ReportDrift: Decodable {
        struct Drift: Decodable {
            var maximumPSI: Double
            var alerted: [String]

            enum CodingKeys: String, CodingKey {
                case maximumPSI = "max_psi"
                case alerted
            }
        }

        var drift: Drift?
    }
}
