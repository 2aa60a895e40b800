import Prometheus

/// One Prometheus counter per value of a fixed label set, all made up front: the series exist at 0
/// from the first scrape (alert ratios need both sides), and no request can add one.
struct LabeledCounters<Label: CaseIterable & RawRepresentable & Hashable & Sendable>: Sendable
where Label.RawValue == String {
    private let counters: [Label: Prometheus.Counter]

    /// `name` without `_total` (the registry adds the unit).
    init(_ registry: PrometheusCollectorRegistry, name: String, label: String, help: String) {
        let descriptor = MetricNameDescriptor(metricName: name, unitName: "total", helpText: help)
        var counters: [Label: Prometheus.Counter] = [:]
        for value in Label.allCases {
            counters[value] = registry.makeCounter(descriptor: descriptor, labels: [(label, value.rawValue)])
        }
        self.counters = counters
    }

    subscript(_ value: Label) -> Prometheus.Counter {
        // Every case was made in init.
        counters[value]!
    }

    func increment(_ value: Label) { self[value].increment() }
}
