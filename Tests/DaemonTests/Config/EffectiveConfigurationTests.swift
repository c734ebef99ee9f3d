import Foundation
import OrderedJSON
import Testing

@testable import InferWatcherDaemon

/// check-config's output: every key, as YAML the loader reads back to the same configuration.
@Suite("Effective configuration")
struct EffectiveConfigurationTests {
    static let yaml = """
        state_dir: "/srv/iw state"
        stop_timeout: 45s
        metrics:
          textfile: "/srv/node exporter/inferwatcher.prom"
          interval: 1min
        pipelines:
          churn:
            spool: /srv/iw/churn
            model: "/srv/models/churn \\"v2\\".onnx"
            threshold: 0.7
            schedule: "Mon..Fri 06:00 UTC"
            settle: 1500ms
            rescan: 90s
            features: [age, "income, net", "yes"]
            validation: {policy: lenient, max_rejected_fraction: 0.05}
            retries: {attempts: 5, initial_backoff: 2s, max_backoff: 2h}
            sla: 1d
            duplicates: skip
            compression: gzip
            retention_days: 30
            max_parallel_jobs: 2
          "123":
            include_features: false
        """

    @Test("the YAML has every key and reads back to the same configuration")
    func roundTrip() throws {
        let config = try ConfigLoader.parse(Self.yaml, file: "in.yaml")
        let text = config.yamlText()
        #expect(try ConfigLoader.parse(text, file: "out.yaml") == config)
        for key in ConfigLoader.topKeys { #expect(text.contains("\n\(key):") || text.hasPrefix("\(key):"), "\(key)") }
        for key in ConfigLoader.pipelineKeys { #expect(text.contains("    \(key): ") || text.contains("    \(key):\n"), "\(key)") }
        #expect(text.contains("    validation:\n      policy: lenient\n      max_rejected_fraction: 0.05\n"))
        #expect(text.contains("    settle: 1500ms\n") && text.contains("    sla: 1d\n") && text.contains("    rescan: 90s\n"))
        #expect(text.contains(#"    features: [age, "income, net", "yes"]"#))
        #expect(text.contains("metrics:\n  textfile: \"/srv/node exporter/inferwatcher.prom\"\n  interval: 1min\n"))
        for key in ConfigLoader.metricsKeys { #expect(text.contains("\n  \(key): "), "\(key)") }
        // Defaults too: the second pipeline wrote almost nothing.
        let defaults = try ConfigLoader.parse(DaemonConfig().yamlText(), file: "defaults.yaml")
        #expect(defaults == DaemonConfig())
    }

    @Test("the JSON form holds the same settings")
    func json() throws {
        let config = try ConfigLoader.parse(Self.yaml, file: "in.yaml")
        let object = try #require(JSONSerialization.jsonObject(with: Data(config.effectiveSettings.serialized().utf8)) as? [String: Any])
        #expect(object["stop_timeout"] as? String == "45s")
        #expect((object["metrics"] as? [String: Any])?["interval"] as? String == "1min")
        let pipelines = try #require(object["pipelines"] as? [String: Any])
        let churn = try #require(pipelines["churn"] as? [String: Any])
        #expect(churn["threshold"] as? Double == 0.7)
        #expect((churn["retries"] as? [String: Any])?["max_backoff"] as? String == "2h")
        #expect(Set(churn.keys) == Set(ConfigLoader.pipelineKeys))
    }

    @Test("spans are written exactly, in the largest unit that divides them")
    func exactSpans() {
        #expect(TimeSpan.exact(.seconds(0)) == "0s")
        #expect(TimeSpan.exact(.milliseconds(250)) == "250ms")
        #expect(TimeSpan.exact(.seconds(90)) == "90s")
        #expect(TimeSpan.exact(.seconds(600)) == "10min")
        #expect(TimeSpan.exact(.seconds(7200)) == "2h")
        #expect(TimeSpan.exact(.seconds(172_800)) == "2d")
        #expect(TimeSpan.duration(TimeSpan.exact(.milliseconds(3_601_500))) == .milliseconds(3_601_500))
    }
}
