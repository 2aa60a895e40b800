import Prometheus

/// `hh_auth_hh_requests_total{call,outcome}` and `hh_auth_hh_request_duration_seconds{call}`: every
/// call to HeadHunter, counted once at the one place they all pass (``HHClient``), whoever made it
/// (a sign-in, the broker's refresh, the revocation queue). Every series exists from the start.
final class HHCallMetrics: Sendable {
    /// Indexed by call, then outcome (``HHCall/allCases``, ``HHCallOutcome/allCases`` order).
    private let requests: [[Prometheus.Counter]]
    private let durations: [DurationHistogram]

    /// HH answers in tens to hundreds of milliseconds; `HH_TIMEOUT_SECONDS` (15 by default) ends a call.
    static let buckets: [Duration] = [
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(15), .seconds(30),
    ]

    init(registry: PrometheusCollectorRegistry) {
        let requests = MetricNameDescriptor(
            metricName: "hh_auth_hh_requests", unitName: "total",
            helpText: "Calls to HeadHunter, by call and how they ended (ok, an HH error class, timeout, network)")
        let durations = MetricNameDescriptor(
            metricName: "hh_auth_hh_request_duration", unitName: "seconds",
            helpText: "How long calls to HeadHunter took, answered or not, by call")
        self.requests = HHCall.allCases.map { call in
            HHCallOutcome.allCases.map { outcome in
                registry.makeCounter(
                    descriptor: requests, labels: [("call", call.rawValue), ("outcome", outcome.rawValue)])
            }
        }
        self.durations = HHCall.allCases.map { call in
            registry.makeDurationHistogram(
                descriptor: durations, labels: [("call", call.rawValue)], buckets: Self.buckets)
        }
    }

    func record(_ call: HHCall, _ outcome: HHCallOutcome, nanoseconds: UInt64) {
        let callIndex = HHCall.allCases.firstIndex(of: call) ?? 0
        requests[callIndex][HHCallOutcome.allCases.firstIndex(of: outcome) ?? 0].increment()
        durations[callIndex].record(.nanoseconds(Int64(clamping: nanoseconds)))
    }
}
