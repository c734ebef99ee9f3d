/// report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched) that a
/// person opens in a browser, on a phone or on paper. It shows what report.json holds: the
/// counts, the score distribution, class balance, per-feature statistics with sparklines, the
/// validation summary, timings, drift against the reference and the model's identity.
///
/// The page stays under 200 KB whatever the input: it shows at most ``featureLimit`` features
/// (the highest PSI first with a reference, else the first in model order) and at most
/// ``rejectedLimit`` rejected rows, and says how many it left out.
public struct ReportPage: Sendable {
    public let report: PredictionReport

    /// Features shown in the per-feature and drift tables.
    public static let featureLimit = 50
    /// Rejected rows shown.
    public static let rejectedLimit = 20
    /// Characters kept of any one text from the input (a value, a category, a message).
    static let textLimit = 120

    public init(report: PredictionReport) {
        self.report = report
    }

    /// The page's text.
    public func html() -> String {
        var page = ""
        page.reserveCapacity(64 << 10)
        let title = "inferwatcher report: " + Self.baseName(report.inputPath)
        page += """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>\(Self.style)</style>
            </head><body><main>
            <h1>Batch inference report</h1>
            <p class="sub">\(escape(report.inputPath))\(report.startedAt.map { " · started " + escape($0) } ?? "")</p>

            """
        page += summarySection()
        page += scoreSection()
        page += featureSection()
        page += driftSection()
        page += validationSection()
        page += timingSection()
        page += modelSection()
        page += "<footer>inferwatcher · report.json holds every figure on this page</footer>\n</main></body></html>\n"
        return page
    }

    // MARK: sections

    private func summarySection() -> String {
        var tiles = [
            ("Rows read", groupedThousands(report.rowsRead)), ("Predicted", groupedThousands(report.rowsPredicted)),
            ("Rejected", groupedThousands(report.rowsRejected)),
        ]
        if let rate = report.rowsPerSecond { tiles.append(("Rows/s", groupedThousands(Int(rate.rounded())))) }
        if let drift = report.drift { tiles.append(("Max PSI", cFormat("%.3f", drift.maximumPSI) + " " + drift.level.rawValue)) }
        var html = "<section><h2>Summary</h2><div class=\"tiles\">"
        for (name, value) in tiles { html += "<div class=\"tile\"><span>\(name)</span><b>\(escape(value))</b></div>" }
        html += "</div>"
        if !report.countsAddUp { html += "<p class=\"bad\">The counts do not add up: rows were lost.</p>" }
        return html + "</section>\n"
    }

    private func scoreSection() -> String {
        let statistics = report.statistics
        let n = statistics.count
        let isRegression = report.outputKind == .regression
        var html = "<section><h2>\(isRegression ? "Predicted values" : "Scores")</h2>"
        html += "<table class=\"kv\">"
        let number = { (value: Double) in cFormat("%.4f", value) }
        html += row("Mean", n > 0 ? number(statistics.mean) : "–") + row("Std", statistics.standardDeviation.map(number) ?? "–")
        html += row("Min", n > 0 ? number(statistics.minimum) : "–") + row("Max", n > 0 ? number(statistics.maximum) : "–")
        html += "</table>"
        if !isRegression {
            let edges = ScoreStatistics.binEdges
            let bars = (0..<statistics.histogram.count).map { bin in
                (label: "(\(cFormat("%.1f", edges[bin])), \(cFormat("%.1f", edges[bin + 1]))]", value: Double(statistics.histogram[bin]))
            }
            html += "<h3>Score distribution</h3>" + Self.barChart(bars, total: Double(max(n, 1)))
            html += "<h3>Class balance</h3>"
            switch report.outputKind {
            case .multiclass(let labels):
                html += Self.barChart(
                    zip(labels, report.classCounts).map { (label: $0, value: Double($1)) }.prefix(Self.featureLimit).map { $0 },
                    total: Double(max(n, 1)))
            case .twoClass(let labels):
                html += Self.barChart(
                    [(labels[1], Double(statistics.positive)), (labels[0], Double(statistics.negative))], total: Double(max(n, 1)))
            default:
                html += Self.barChart(
                    [("Positive (1)", Double(statistics.positive)), ("Negative (0)", Double(statistics.negative))], total: Double(max(n, 1))
                )
            }
        }
        return html + "</section>\n"
    }

    /// The features shown, in the order shown: highest PSI first with a reference.
    private var shownFeatures: [Int] {
        var order = Array(report.features.indices)
        if let drift = report.drift, drift.features.count == report.features.count {
            order.sort { drift.features[$0].psi != drift.features[$1].psi ? drift.features[$0].psi > drift.features[$1].psi : $0 < $1 }
        }
        return Array(order.prefix(Self.featureLimit))
    }

    private func leftOut(_ shown: Int, of total: Int, _ what: String) -> String {
        shown < total ? "<p class=\"note\">\(groupedThousands(total - shown)) more \(what) left out (report.json has them all).</p>" : ""
    }

    private func featureSection() -> String {
        guard !report.features.isEmpty else { return "" }
        let shown = shownFeatures
        var html = "<section><h2>Features</h2>"
        html += report.drift == nil ? "" : "<p class=\"note\">Highest PSI first.</p>"
        html += "<div class=\"scroll\"><table><thead><tr><th>Feature</th><th>Count</th><th>Missing</th><th>Min</th><th>Max</th>"
        html += "<th>Mean</th><th>Std</th><th>Distribution</th></tr></thead><tbody>"
        for index in shown {
            let feature = report.features[index]
            html +=
                "<tr><td>\(escape(feature.name))</td><td>\(groupedThousands(feature.count))</td><td>\(groupedThousands(feature.missing))</td>"
            switch feature.values {
            case .numeric(let summary):
                let present = summary.count > 0
                let number = { (value: Double) in Self.short(value) }
                html += "<td>\(present ? number(summary.minimum) : "–")</td><td>\(present ? number(summary.maximum) : "–")</td>"
                html += "<td>\(present ? number(summary.mean) : "–")</td><td>\(summary.standardDeviation.map(number) ?? "–")</td>"
                html += "<td>\(Self.sparkline(summary.histogram(bins: PredictionReport.sparklineBins)))</td>"
            case .string(let summary):
                let top = summary.top(3).map { "\(escape($0.value)) \(groupedThousands($0.count))" }.joined(separator: ", ")
                html += "<td colspan=\"4\">\(groupedThousands(summary.frequencies.count))\(summary.uncounted > 0 ? "+" : "") distinct</td>"
                html += "<td class=\"small\">\(top)</td>"
            }
            html += "</tr>"
        }
        html += "</tbody></table></div>" + leftOut(shown.count, of: report.features.count, "features")
        return html + "</section>\n"
    }

    private func driftSection() -> String {
        guard let drift = report.drift else {
            return
                "<section><h2>Drift</h2><p class=\"note\">No reference: give a pipeline <code>drift: {reference: ref.json}</code> (made by <code>inferwatcher profile</code>) to compare every job with the training data.</p></section>\n"
        }
        var html = "<section><h2>Drift <span class=\"badge \(drift.level.rawValue)\">\(drift.level.rawValue)</span></h2>"
        html +=
            "<p class=\"note\">PSI against \(escape(drift.referencePath)) over the reference's decile bins; warn above \(Self.short(drift.warnPSI)), alert above \(Self.short(drift.alertPSI)) (docs/DRIFT.md).</p>"
        html += "<div class=\"scroll\"><table><thead><tr><th>Column</th><th>PSI</th><th>Level</th><th>Outside reference</th>"
        html += "<th>Reference vs this job</th></tr></thead><tbody>"
        let features = shownFeatures.compactMap { $0 < drift.features.count ? drift.features[$0] : nil }
        for (column, isScore) in features.map({ ($0, false) }) + [(drift.score, true)] {
            let name = isScore ? "<i>model score</i>" : escape(column.name)
            html += "<tr><td>\(name)</td><td>\(cFormat("%.4f", column.psi))</td>"
            html += "<td><span class=\"badge \(column.level.rawValue)\">\(column.level.rawValue)</span></td>"
            html += "<td>\(cFormat("%.2f", 100 * column.outOfRangeShare))%</td><td>\(Self.binPairs(column))</td></tr>"
        }
        html += "</tbody></table></div>" + leftOut(features.count, of: drift.features.count, "features")
        return html + "</section>\n"
    }

    private func validationSection() -> String {
        var html = "<section><h2>Validation</h2><table class=\"kv\">"
        switch report.policy {
        case .strict?: html += row("Policy", "strict")
        case .lenient(let fraction)?: html += row("Policy", "lenient, at most \(cFormat("%.2f", 100 * fraction))% rejected")
        case nil: break
        }
        html += row("Rejected rows", groupedThousands(report.rowsRejected))
        if report.blankLinesSkipped > 0 { html += row("Blank lines skipped", groupedThousands(report.blankLinesSkipped)) }
        if let duplicates = report.duplicateIDs { html += row("Duplicate ids", groupedThousands(duplicates)) }
        if let path = report.rejectedRowsPath { html += row("Rejected rows file", Self.baseName(path)) }
        html += "</table>"
        let sample = report.rejectedSample.prefix(Self.rejectedLimit)
        if !sample.isEmpty {
            html += "<h3>First rejected rows</h3><div class=\"scroll\"><table><thead><tr><th>Line</th><th>Column</th><th>Value</th>"
            html += "<th>Rule</th><th>Reason</th></tr></thead><tbody>"
            for issue in sample {
                let column = issue.columnName.map { "\(escape($0)) (\(issue.column ?? 0))" } ?? issue.column.map(String.init) ?? "–"
                html += "<tr><td>\(issue.line)</td><td>\(column)</td><td><code>\(escape(issue.value ?? ""))</code></td>"
                html += "<td>\(escape(issue.rule.name))</td><td>\(escape(issue.message))</td></tr>"
            }
            html += "</tbody></table></div>" + leftOut(sample.count, of: report.rowsRejected, "rejected rows")
        }
        return html + "</section>\n"
    }

    private func timingSection() -> String {
        guard let timings = report.timings else { return "" }
        var html = "<section><h2>Timings</h2><table class=\"kv\">"
        html += row("Total", cFormat("%.3f s", timings.totalSeconds))
        html += row("Parse (summed over threads)", cFormat("%.3f s", timings.parseSeconds))
        html += row("Feature statistics", cFormat("%.3f s", timings.statisticsSeconds))
        html += row("Model", cFormat("%.3f s", timings.inferSeconds))
        html += row("Format", cFormat("%.3f s", timings.formatSeconds))
        html += row("Write", cFormat("%.3f s", timings.writeSeconds))
        if let threads = report.threads { html += row("Threads", "\(threads)") }
        if let batch = report.batchSize { html += row("Batch size", groupedThousands(batch)) }
        return html + "</table></section>\n"
    }

    private func modelSection() -> String {
        var html = "<section><h2>Model</h2><table class=\"kv\">"
        html += row("File", report.modelPath ?? "–") + row("SHA-256", report.modelSHA256 ?? "–", code: true)
        if let threshold = report.threshold, report.outputKind != .regression { html += row("Threshold", Self.short(threshold)) }
        for (key, value) in report.modelMetadata.sorted(by: { $0.key < $1.key }).prefix(Self.featureLimit) { html += row(key, value) }
        html += "</table>"
        html += "<h3>Input</h3><table class=\"kv\">" + row("File", report.inputPath)
        if let bytes = report.inputBytes { html += row("Bytes", groupedThousands(bytes)) }
        html += row("SHA-256", report.inputSHA256 ?? "–", code: true)
        return html + "</table></section>\n"
    }

    // MARK: pieces

    private func row(_ name: String, _ value: String, code: Bool = false) -> String {
        let shown = escape(value)
        return "<tr><th>\(escape(name))</th><td>\(code ? "<code>\(shown)</code>" : shown)</td></tr>"
    }

    private func escape(_ text: String) -> String { Self.escape(text) }

    /// Text made safe for HTML, cut at ``textLimit`` characters.
    static func escape(_ text: String) -> String {
        var result = ""
        for (offset, character) in text.enumerated() {
            if offset == textLimit {
                result += "…"
                break
            }
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    static func baseName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    /// A number in at most 6 significant digits.
    static func short(_ value: Double) -> String { cFormat("%.6g", value) }

    /// Horizontal bars, one per label, with count and share.
    static func barChart(_ bars: [(label: String, value: Double)], total: Double) -> String {
        let height = 22
        let width = 560
        let labelWidth = 120
        let largest = max(bars.map(\.value).max() ?? 0, 1)
        var svg =
            "<svg class=\"chart\" viewBox=\"0 0 \(width) \(bars.count * height)\" role=\"img\" preserveAspectRatio=\"xMinYMin meet\">"
        for (k, bar) in bars.enumerated() {
            let y = k * height
            let length = Double(width - labelWidth - 150) * bar.value / largest
            svg += "<text x=\"0\" y=\"\(y + 15)\">\(escape(bar.label))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(cFormat("%.1f", max(length, 0.5)))\" height=\"16\"/>"
            let share = cFormat("%.1f", 100 * bar.value / max(total, 1))
            svg +=
                "<text x=\"\(cFormat("%.1f", Double(labelWidth) + length + 6))\" y=\"\(y + 15)\">\(groupedThousands(Int(bar.value))) (\(share)%)</text>"
        }
        return svg + "</svg>"
    }

    /// A small filled histogram.
    static func sparkline(_ counts: [Double]) -> String {
        guard !counts.isEmpty else { return "" }
        let width = 100.0
        let height = 24.0
        let largest = max(counts.max() ?? 0, 1)
        let step = width / Double(counts.count)
        var path = "M0 \(Int(height))"
        for (k, count) in counts.enumerated() {
            let y = cFormat("%.1f", height - (height - 1) * count / largest)
            path += "V\(y)H\(cFormat("%.1f", Double(k + 1) * step))"
        }
        path += "V\(Int(height))Z"
        return "<svg class=\"spark\" viewBox=\"0 0 100 24\" role=\"img\"><path d=\"\(path)\"/></svg>"
    }

    /// Paired bars per bin: the reference's share and this job's, the missing bin last.
    static func binPairs(_ column: DriftReport.Column) -> String {
        let count = column.actual.count
        let width = Double(count * 12)
        let largest = max(column.actual.max() ?? 0, column.expected.max() ?? 0, 1e-9)
        var svg = "<svg class=\"bins\" viewBox=\"0 0 \(Int(width)) 30\" role=\"img\">"
        for k in 0..<count {
            let x = Double(k * 12)
            let expected = 28 * column.expected[k] / largest
            let actual = 28 * column.actual[k] / largest
            svg +=
                "<rect class=\"ref\" x=\"\(Int(x))\" y=\"\(cFormat("%.1f", 30 - expected))\" width=\"5\" height=\"\(cFormat("%.1f", expected))\"><title>\(escape(column.binNames[k])): reference \(cFormat("%.1f", 100 * column.expected[k]))%</title></rect>"
            svg +=
                "<rect x=\"\(Int(x) + 5)\" y=\"\(cFormat("%.1f", 30 - actual))\" width=\"5\" height=\"\(cFormat("%.1f", actual))\"><title>\(escape(column.binNames[k])): this job \(cFormat("%.1f", 100 * column.actual[k]))%</title></rect>"
        }
        return svg + "</svg>"
    }

    static let style = """
        :root{--ink:#1b1f24;--muted:#5b6570;--line:#d8dde3;--bar:#3b6fb6;--ref:#b9c4d0;--ok:#2e7d32;--warn:#b26a00;--alert:#c62828}
        *{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
        main{max-width:1000px;margin:0 auto;padding:16px}h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:1.6em}
        h3{font-size:1em;color:var(--muted);margin:1em 0 .4em}.sub,.note,footer{color:var(--muted);font-size:.9em;overflow-wrap:anywhere}
        .tiles{display:flex;flex-wrap:wrap;gap:10px}.tile{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:130px}
        .tile span{display:block;color:var(--muted);font-size:.85em}.tile b{font-size:1.3em}
        table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:middle}
        td{font-variant-numeric:tabular-nums}.kv{width:auto}.kv th{color:var(--muted);font-weight:normal;padding-right:24px}
        .scroll{overflow-x:auto}code{font-size:.85em;overflow-wrap:anywhere}.small{font-size:.85em}
        svg.chart{width:100%;max-width:560px;font-size:12px}svg.chart rect,svg.spark path,svg.bins rect{fill:var(--bar)}svg.chart text{fill:var(--ink)}
        svg.spark{width:100px;height:24px}svg.bins{height:30px;width:auto;max-width:160px}svg.bins rect.ref{fill:var(--ref)}
        .badge{display:inline-block;border-radius:4px;padding:0 6px;color:#fff;font-size:.8em;text-transform:uppercase}
        .ok{background:var(--ok)}.warn{background:var(--warn)}.alert{background:var(--alert)}.bad{color:var(--alert);font-weight:bold}
        footer{margin-top:2em;border-top:1px solid var(--line);padding-top:8px}
        @media (max-width:600px){main{padding:8px}.tile{min-width:45%}th,td{padding:3px 4px}}
        @media print{body{font-size:11pt}main{max-width:none;padding:0}section{break-inside:avoid}.scroll{overflow:visible}a{color:inherit}}
        """
}
