import Prometheus

/// `hh_auth_rate_limited_total{limiter}`: requests one of the service's own limits refused. nginx's
/// `limit_req` is not counted here (its 429s never reach the service).
public final class RateLimitMetrics: Sendable {
    /// The service's limits, each a `limiter` label value.
    public enum Limiter: String, CaseIterable, Sendable {
        /// `RATE_LIMIT_PER_HOUR` per client address (429).
        case client
        /// `SIGN_INS_PER_CLIENT_PER_MINUTE`, and two code exchanges at once per client (429).
        case login
        /// Code exchanges holding half of `HH_MAX_CONCURRENT_CALLS` already (503).
        case loginConcurrency = "login_concurrency"
        /// The admin password throttle: an address past its failures, or the guarded account's pause
        /// or check budget (429).
        case adminAuth = "admin_auth"
        /// Every one of `HH_MAX_CONCURRENT_CALLS` is waiting on HH already (503).
        case hhConcurrency = "hh_concurrency"
    }

    private let counters: LabeledCounters<Limiter>

    init(registry: PrometheusCollectorRegistry) {
        counters = LabeledCounters(
            registry, name: "hh_auth_rate_limited", label: "limiter",
            help: "Requests refused by one of the service's own limits, by limiter")
    }

    func refused(_ limiter: Limiter) {
        counters.increment(limiter)
    }

    func counter(_ limiter: Limiter) -> Prometheus.Counter {
        counters[limiter]
    }
}
