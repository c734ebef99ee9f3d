import Foundation
import Logging
import Testing

@testable import InferWatcherDaemon

@Suite("Journal events")
struct DaemonEventTests {
    @Test("every event's MESSAGE_ID is explained in the catalog, and the IDs are distinct")
    func catalog() throws {
        let catalog = try String(contentsOfFile: InProcessDaemon.repository + "/systemd/inferwatcher.catalog", encoding: .utf8)
        for event in DaemonEvent.allCases {
            #expect(catalog.contains("-- \(event.messageID)\n"), "\(event) is missing from the catalog")
        }
        #expect(Set(DaemonEvent.allCases.map(\.messageID)).count == DaemonEvent.allCases.count)
    }

    @Test("an event's metadata carries its name and MESSAGE_ID")
    func metadata() {
        #expect(DaemonEvent.jobSucceeded.metadata == ["iw.event": "job-succeeded", "MESSAGE_ID": "235f12b688e74207a949d9ad474d2bc1"])
    }
}
