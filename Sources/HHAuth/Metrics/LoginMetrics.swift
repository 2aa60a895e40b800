import Prometheus

/// `login_failures_total{reason}`. Every failed callback is
/// counted here, also those the audit trail only samples (``FailureAuditSampler``); the label
/// values are a fixed set, made up front, so no request can add a series.
public final class LoginMetrics: Sendable {
    /// Why a callback failed; the `reason` of the audit event too.
    public enum FailureReason: String, CaseIterable, Sendable {
        case stateInvalid = "state_invalid"
        /// The callback came without the pre-auth cookie its state was issued with.
        case browserMismatch = "browser_mismatch"
        case accessDenied = "access_denied"
        case hhError = "hh_error"
        case notWhitelisted = "not_whitelisted"
    }

    private let failures: [FailureReason: Prometheus.Counter]

    public init(registry: PrometheusCollectorRegistry) {
        var failures: [FailureReason: Prometheus.Counter] = [:]
        for reason in FailureReason.allCases {
            failures[reason] = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    metricName: "login_failures", unitName: "total",
                    helpText: "Failed /auth/callback requests, by reason (the audit trail samples repeated ones)"),
                labels: [("reason", reason.rawValue)])
        }
        self.failures = failures
    }

    func failed(_ reason: FailureReason) {
        failures[reason]?.increment()
    }
}
