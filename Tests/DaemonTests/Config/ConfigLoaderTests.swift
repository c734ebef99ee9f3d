import Archive
import Engine
import Files
import Glibc
import Testing

@testable import InferWatcherDaemon

@Suite("Configuration")
struct ConfigLoaderTests {
    @Test("an empty file gives DESIGN §3's defaults")
    func defaults() throws {
        let config = try ConfigLoader.parse("", file: "c.yaml")
        #expect(config.stateDirectory == "/var/lib/inferwatcher/state")
        let pipeline = try #require(config.pipelines.first)
        #expect(config.pipelines.count == 1)
        #expect(pipeline.name == "default")
        #expect(pipeline.spool == "/var/spool/inferwatcher/default")
        #expect(pipeline.archive == "/var/lib/inferwatcher/archive/default")
        #expect(pipeline.model == "/var/lib/inferwatcher/models/model.onnx")
        #expect(pipeline.threshold == 0.5)
        #expect(pipeline.idColumn == "user_id")
        #expect(pipeline.includeFeatures)
        #expect(pipeline.schedule == .immediate)
        #expect(pipeline.settle == .seconds(2))
        #expect(pipeline.policy == .strict)
        #expect(pipeline.maxRejectedFraction == 0.01)
        #expect(pipeline.retryAttempts == 3)
        #expect(pipeline.initialBackoff == .seconds(10))
        #expect(pipeline.maxBackoff == .seconds(3600))
        #expect(pipeline.sla == .seconds(7200))
        #expect(pipeline.duplicates == .process)
        #expect(pipeline.compression == .zstd)
        #expect(pipeline.retentionDays == 90)
        #expect(pipeline.maxParallelJobs == 1)
        #expect(config.limits.maxRecordBytes == 64 << 20)
        #expect(config.limits.maxColumns == 100_000)
    }

    @Test("limits: sizes in bytes or with KiB/MiB/GiB, applied to every pipeline's engine options")
    func limits() throws {
        let yaml = """
            limits:
              max_record_bytes: 8MiB
              max_columns: 500
            pipelines:
              a: {}
              b: {}
            """
        let config = try ConfigLoader.parse(yaml, file: "c.yaml")
        #expect(config.limits.maxRecordBytes == 8 << 20)
        #expect(config.limits.maxColumns == 500)
        for pipeline in config.pipelines {
            #expect(pipeline.predictionOptions.maxRecordBytes == 8 << 20)
            #expect(pipeline.predictionOptions.maxColumns == 500)
        }
        for (text, bytes) in [("65536", 65536), ("1KiB", 1024), ("512KiB", 512 << 10), ("1GiB", 1 << 30)] {
            let parsed = try ConfigLoader.parse("limits:\n  max_record_bytes: \(text)\n", file: "c.yaml")
            #expect(parsed.limits.maxRecordBytes == bytes, "\(text)")
        }
    }

    @Test(
        "bad limits name the key, the value and the line",
        arguments: [
            ("limits:\n  max_record_bytes: 64MB\n", "limits.max_record_bytes", "'64MB' is not a size from 1KiB to 1GiB"),
            ("limits:\n  max_record_bytes: 2GiB\n", "limits.max_record_bytes", "'2GiB' is not a size"),
            ("limits:\n  max_record_bytes: 100\n", "limits.max_record_bytes", "'100' is not a size"),
            ("limits:\n  max_columns: 0\n", "limits.max_columns", "'0' is not a whole number from 1 to 10000000"),
            ("limits:\n  max_colums: 5\n", "max_colums", "max_colums"),
        ])
    func badLimits(yaml: String, key: String, message: String) throws {
        var thrown: ConfigError?
        do { _ = try ConfigLoader.parse(yaml, file: "c.yaml") } catch { thrown = error }
        let error = try #require(thrown)
        #expect(error.line == 2, "\(error)")
        #expect(error.description.contains(key), "\(error)")
        #expect(error.description.contains(message), "\(error)")
    }

    @Test("alerts: commands and timeout, off by default; unknown keys and on_drift without drift are errors naming the key")
    func alerts() throws {
        #expect(try ConfigLoader.parse("", file: "c.yaml").pipelines[0].alerts == AlertCommands())
        let yaml = """
            pipelines:
              default:
                alerts:
                  on_failure: /usr/local/bin/page-me --quarantine
                  on_sla_miss: "logger -t iw 'late job'"
                  timeout: 10s
            """
        let alerts = try ConfigLoader.parse(yaml, file: "c.yaml").pipelines[0].alerts
        #expect(alerts.onFailure == "/usr/local/bin/page-me --quarantine")
        #expect(alerts.onSLAMiss == "logger -t iw 'late job'")
        #expect(alerts.timeout == .seconds(10))
        for (bad, key, message) in [
            ("alerts: {on_fail: x}", "on_fail", "unknown key in pipelines.default.alerts"),
            ("alerts: {on_drift: x}", "alerts.on_drift", "on_drift needs drift: {reference: PATH}"),
            ("alerts: {timeout: soon}", "alerts.timeout", "'soon' is not a time span"),
        ] {
            var thrown: ConfigError?
            do { _ = try ConfigLoader.parse("pipelines:\n  default:\n    \(bad)\n", file: "c.yaml") } catch { thrown = error }
            let error = try #require(thrown, "\(bad)")
            #expect(error.line == 3 && error.description.contains(key) && error.description.contains(message), "\(error)")
        }
    }

    @Test("drift: the reference is loaded with the configuration; defaults, thresholds, and errors naming the key")
    func drift() throws {
        var template = Array("/tmp/iw-drift-XXXXXX".utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileTree.removeTree(folder) }
        let reference = folder + "/ref.json"
        let uniform = ReferenceProfile.Distribution(
            name: "x", kind: .numeric, rows: 10, missing: 0, edges: (0...10).map(Double.init), counts: [Int](repeating: 1, count: 10),
            categories: nil)
        var score = uniform
        score.name = "score"
        let profile = ReferenceProfile(
            source: .init(path: "train.csv", sha256: nil, rows: 10), model: .init(path: "m.onnx", sha256: "00"), features: [uniform],
            score: score)
        try AtomicFile.write(profile.json(), to: reference)
        let yaml = """
            pipelines:
              default:
                drift: {reference: \(reference), alert_psi: 0.3}
                alerts: {on_drift: "echo drift"}
            """
        let pipeline = try ConfigLoader.parse(yaml, file: "c.yaml").pipelines[0]
        let drift = try #require(pipeline.drift)
        #expect(drift.reference == profile && drift.referencePath == reference)
        #expect(drift.warnPSI == DriftSettings.defaultWarnPSI && drift.alertPSI == 0.3)
        #expect(drift.referenceSHA256?.count == 64)
        #expect(pipeline.predictionOptions.drift == drift)
        #expect(pipeline.alerts.onDrift == "echo drift")
        #expect(try ConfigLoader.parse("", file: "c.yaml").pipelines[0].drift == nil)
        try AtomicFile.write("{}", to: folder + "/bad.json")
        for (bad, message) in [
            ("drift: {warn_psi: 0.1}", "drift needs reference: PATH"),
            ("drift: {reference: \(folder)/none.json}", "cannot read the reference profile"),
            ("drift: {reference: \(folder)/bad.json}", "not a reference profile"),
            ("drift: {reference: \(reference), warn_psi: 0.5, alert_psi: 0.2}", "must be at least 0 and at most alert_psi"),
            ("drift: {reference: \(reference), psi: 1}", "unknown key in pipelines.default.drift"),
        ] {
            var thrown: ConfigError?
            do { _ = try ConfigLoader.parse("pipelines:\n  default:\n    \(bad)\n", file: "c.yaml") } catch { thrown = error }
            let error = try #require(thrown, "\(bad)")
            #expect(error.line == 3 && error.description.contains(message), "\(error)")
        }
    }

    @Test("metrics: a .prom textfile and its interval, off by default; bad values name the key, value and line")
    func metrics() throws {
        #expect(try ConfigLoader.parse("", file: "c.yaml").metrics == MetricsSettings())
        #expect(!MetricsSettings().isEnabled && MetricsSettings().interval == .seconds(15))
        let yaml = """
            metrics:
              textfile: /var/lib/prometheus/node-exporter/inferwatcher.prom
              interval: 30s
            """
        let metrics = try ConfigLoader.parse(yaml, file: "c.yaml").metrics
        #expect(metrics.textfile == "/var/lib/prometheus/node-exporter/inferwatcher.prom")
        #expect(metrics.interval == .seconds(30))
        #expect(metrics.isEnabled)
        // Empty is off: what check-config prints for the default.
        #expect(try ConfigLoader.parse("metrics: {textfile: \"\"}\n", file: "c.yaml").metrics == MetricsSettings())
        for (bad, key, message) in [
            ("textfile: metrics.prom", "metrics.textfile", "'metrics.prom' must be an absolute path"),
            ("textfile: /var/lib/prometheus/node-exporter/inferwatcher.txt", "metrics.textfile", "must name a file ending in .prom"),
            ("textfile: /var/lib/prometheus/node-exporter/.prom", "metrics.textfile", "must name a file ending in .prom"),
            ("textfile: /var/lib/prometheus/node-exporter/.iw.prom", "metrics.textfile", "not hidden"),
            ("interval: 500ms", "metrics.interval", "must be at least 1s"),
            ("interval: often", "metrics.interval", "'often' is not a time span"),
            ("port: 9100", "port", "unknown key in metrics (known keys: textfile, interval)"),
        ] {
            var thrown: ConfigError?
            do { _ = try ConfigLoader.parse("metrics:\n  \(bad)\n", file: "c.yaml") } catch { thrown = error }
            let error = try #require(thrown, "\(bad)")
            #expect(error.line == 2 && error.description.contains(key) && error.description.contains(message), "\(error)")
            #expect(error.description.hasPrefix("c.yaml:2: "), "\(error)")
        }
    }

    @Test("several named pipelines with their own settings")
    func pipelines() throws {
        let yaml = """
            state_dir: /srv/iw/state
            pipelines:
              churn:
                spool: /srv/iw/churn
                archive: /srv/iw/archive/churn
                model: /srv/models/churn.onnx
                threshold: 0.7
                schedule: "Mon..Fri 06:00"
                settle: 500ms
                features: [age, income]
                validation:
                  policy: lenient
                  max_rejected_fraction: 0.05
                retries: {attempts: 5, initial_backoff: 2s, max_backoff: 10min}
                compression: gzip
              fraud:
                spool: /srv/iw/fraud
            """
        let config = try ConfigLoader.parse(yaml, file: "c.yaml")
        #expect(config.pipelines.map(\.name) == ["churn", "fraud"])
        let churn = config.pipelines[0]
        #expect(churn.threshold == 0.7)
        #expect(churn.settle == .milliseconds(500))
        #expect(churn.features == ["age", "income"])
        #expect(churn.policy == .lenient)
        #expect(churn.maxRejectedFraction == 0.05)
        #expect(churn.retryAttempts == 5)
        #expect(churn.initialBackoff == .seconds(2))
        #expect(churn.maxBackoff == .seconds(600))
        #expect(churn.compression == .gzip)
        #expect(churn.backoff(beforeRetry: 1) == .seconds(2))
        #expect(churn.backoff(beforeRetry: 3) == .seconds(8))
        #expect(churn.backoff(beforeRetry: 20) == .seconds(600))
        if case .calendar = churn.schedule {} else { Issue.record("expected a calendar schedule") }
        #expect(config.pipelines[1].archive == "/var/lib/inferwatcher/archive/fraud")
    }

    @Test(
        "errors name the file, line, key and value",
        arguments: [
            ("pipelines:\n  default:\n    treshold: 0.5\n", "c.yaml:3: treshold: unknown key in pipeline 'default'"),
            (
                "pipelines:\n  default:\n    threshold: high\n",
                "c.yaml:3: pipelines.default.threshold: 'high' is not a number from 0.0 to 1.0"
            ),
            ("pipelines:\n  default:\n    settle: soon\n", "c.yaml:3: pipelines.default.settle: 'soon' is not a time span"),
            (
                // Found by the config fuzzer: a span past Int64 milliseconds used to trap.
                "pipelines:\n  default:\n    settle: 2s 5555555555555555555555s\n",
                "c.yaml:3: pipelines.default.settle: '2s 5555555555555555555555s' is not a time span of at most 100 years"
            ),
            (
                "pipelines:\n  default:\n    compression: lz4\n",
                "c.yaml:3: pipelines.default.compression: 'lz4' is not one of none, gzip, zstd"
            ),
            (
                "pipelines:\n  default:\n    spool: relative/path\n",
                "c.yaml:3: pipelines.default.spool: 'relative/path' must be an absolute path"
            ),
            (
                "pipelines:\n  default:\n    validation:\n      policy: loose\n",
                "c.yaml:4: pipelines.default.validation.policy: 'loose' is not one of strict, lenient"
            ),
            ("pipelines:\n  default:\n    schedule: \"every tuesday\"\n", "c.yaml:3: pipelines.default.schedule: unknown word \"every\""),
            ("statedir: /x\n", "c.yaml:1: statedir: unknown key in top level"),
            ("pipelines: [a, b\n", "c.yaml:"),
            ("pipelines:\n  a:\n    spool: /s\n  b:\n    spool: /s\n", "pipelines.b.spool: '/s' is also pipeline 'a''s spool"),
        ])
    func errors(yaml: String, expected: String) {
        #expect {
            try ConfigLoader.parse(yaml, file: "c.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(expected) || text.contains(expected)
        }
    }

    @Test("systemd time spans")
    func spans() {
        #expect(TimeSpan.seconds("500ms") == 0.5)
        #expect(TimeSpan.seconds("2s") == 2)
        #expect(TimeSpan.seconds("10min") == 600)
        #expect(TimeSpan.seconds("1h 30min") == 5400)
        #expect(TimeSpan.seconds("2 days") == 172_800)
        #expect(TimeSpan.seconds("90") == 90)
        #expect(TimeSpan.seconds("soon") == nil)
        #expect(TimeSpan.duration("1h 30min") == .seconds(5400))
        #expect(TimeSpan.duration("500ms") == .milliseconds(500))
        #expect(TimeSpan.seconds("") == nil)
        #expect(TimeSpan.format(.seconds(5400)) == "1h 30min")
        #expect(TimeSpan.format(.milliseconds(200)) == "200ms")
    }

    @Test("a configuration over 1 MiB is refused before YAML sees it, from a file or as text")
    func sizeBound() throws {
        // One byte over the bound (a comment line: YAML would accept it).
        let comment = "# " + String(repeating: "x", count: ConfigLoader.maximumSize - 2) + "\n"
        #expect {
            try ConfigLoader.parse(comment, file: "c.yaml")
        } throws: { error in
            "\(error)".hasPrefix("c.yaml: the configuration is 1048577 bytes; at most 1048576 are read")
        }
        var template = Array("/tmp/iw-config-XXXXXX".utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { _ = rmdir(folder) }
        let path = folder + "/big.yaml"
        defer { _ = unlink(path) }
        let stream = try #require(fopen(path, "w"))
        fputs(comment, stream)
        fclose(stream)
        #expect {
            try ConfigLoader.load(path: path)
        } throws: { error in
            "\(error)".hasPrefix(path + ": the configuration is 1048577 bytes")
        }
    }
}
