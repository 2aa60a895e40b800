import Prometheus

/// `hh_auth_logins_total{result}` and `login_failures_total{reason}`. Every callback that reaches
/// a verdict is counted in the first, and every failed one in the second too, also those the audit
/// trail only samples (``FailureAuditSampler``); the label values are fixed sets, made up front,
/// so no request can add a series. (Callbacks a limit refused are in `hh_auth_rate_limited_total`,
/// database failures in `hh_auth_database_errors_total`.)
public final class LoginMetrics: Sendable {
    /// Why a callback failed; the `reason` of the audit event too.
    public enum FailureReason: String, CaseIterable, Sendable {
        case stateInvalid = "state_invalid"
        /// The callback came without the pre-auth cookie its state was issued with.
        case browserMismatch = "browser_mismatch"
        case accessDenied = "access_denied"
        case hhError = "hh_error"
        case notWhitelisted = "not_whitelisted"

        /// The `result` of `hh_auth_logins_total`: a callback without the pre-auth cookie counts
        /// as a bad state there (the contract's `login_failures_total` keeps them apart).
        var result: Result {
            switch self {
            case .stateInvalid, .browserMismatch: .stateInvalid
            case .accessDenied: .accessDenied
            case .hhError: .hhError
            case .notWhitelisted: .notWhitelisted
            }
        }
    }

    /// How a callback ended: the `result` of `hh_auth_logins_total`.
    public enum Result: String, CaseIterable, Sendable {
        case success
        case notWhitelisted = "not_whitelisted"
        case stateInvalid = "state_invalid"
        case accessDenied = "access_denied"
        case hhError = "hh_error"
    }

    private let failures: LabeledCounters<FailureReason>
    private let logins: LabeledCounters<Result>

    public init(registry: PrometheusCollectorRegistry) {
        failures = LabeledCounters(
            registry, name: "login_failures", label: "reason",
            help: "Failed /auth/callback requests, by reason (the audit trail samples repeated ones)")
        logins = LabeledCounters(
            registry, name: "hh_auth_logins", label: "result",
            help: "Sign-in callbacks, by result (success, or why not)")
    }

    func failed(_ reason: FailureReason) {
        failures.increment(reason)
        logins.increment(reason.result)
    }

    func succeeded() {
        logins.increment(.success)
    }
}
