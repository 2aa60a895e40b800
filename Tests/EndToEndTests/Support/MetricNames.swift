import Foundation

/// monitoring/metric-names.txt: the metrics the alert rules and the dashboard may use, with their
/// labels (scripts/check-monitoring.sh holds the rules and the dashboard to it; MonitoringTests
/// hold it to what the running service exports).
struct MetricNames {
    struct Metric {
        var name: String
        /// `counter`, `gauge`, `histogram`, or `scrape` for Prometheus's own `up`.
        var type: String
        /// The metric's own labels, without the target's `job`, `instance` and a bucket's `le`.
        var labels: Set<String>

        /// The series names Prometheus stores for it: a histogram's `_bucket`, `_sum` and `_count`.
        var seriesNames: [String] {
            type == "histogram" ? [name + "_bucket", name + "_sum", name + "_count"] : [name]
        }
    }

    static let path = TestStack.repository + "/monitoring/metric-names.txt"

    let metrics: [Metric]

    static func load() throws -> MetricNames {
        var metrics: [Metric] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let fields = content.split(separator: " ", omittingEmptySubsequences: true)
            if fields.isEmpty { continue }
            guard fields.count == 3 else { throw HarnessError("metric-names.txt: not `name type labels`: \(line)") }
            let labels = fields[2] == "-" ? [] : Set(fields[2].split(separator: ",").map(String.init))
            metrics.append(Metric(name: String(fields[0]), type: String(fields[1]), labels: labels))
        }
        return MetricNames(metrics: metrics)
    }

    /// The listed metric a stored series name belongs to.
    func metric(ofSeries name: String) -> Metric? {
        metrics.first { $0.seriesNames.contains(name) }
    }
}
