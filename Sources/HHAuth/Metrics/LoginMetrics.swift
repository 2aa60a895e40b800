import Prometheus

/// `login_failures_total{reason}` and `login_starts_refused_total{limit}`. Every failed callback is
/// counted here, also those the audit trail only samples (``FailureAuditSampler``); the label
/// values are a fixed set, made up front, so no request can add a series.
public final class LoginMetrics: Sendable {
    /// Why a callback failed; the `reason` of the audit event too.
    public enum FailureReason: String, CaseIterable, Sendable {
        case stateInvalid = "state_invalid"
        case accessDenied = "access_denied"
        case hhError = "hh_error"
        case notWhitelisted = "not_whitelisted"
    }

    /// Which bound refused a `/auth/login` (see ``LoginStateBudget``).
    public enum StartLimit: String, CaseIterable, Sendable {
        case address
        case overall
    }

    private let failures: [FailureReason: Prometheus.Counter]
    private let refusals: [StartLimit: Prometheus.Counter]

    public init(registry: PrometheusCollectorRegistry) {
        var failures: [FailureReason: Prometheus.Counter] = [:]
        for reason in FailureReason.allCases {
            failures[reason] = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    metricName: "login_failures", unitName: "total",
                    helpText: "Failed /auth/callback requests, by reason (the audit trail samples repeated ones)"),
                labels: [("reason", reason.rawValue)])
        }
        var refusals: [StartLimit: Prometheus.Counter] = [:]
        for limit in StartLimit.allCases {
            refusals[limit] = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    metricName: "login_starts_refused", unitName: "total",
                    helpText: "/auth/login requests refused because too many sign-ins were started"),
                labels: [("limit", limit.rawValue)])
        }
        self.failures = failures
        self.refusals = refusals
    }

    func failed(_ reason: FailureReason) {
        failures[reason]?.increment()
    }

    func refused(_ limit: StartLimit) {
        refusals[limit]?.increment()
    }
}
