import Prometheus

/// `hh_auth_token_refreshes_total{result}`: the broker's refreshes of a session's HH pair, one per
/// leader (requests that wait for another request's refresh of the same pair are not counted
/// again). A revocation's refresh of an expired pair is not one of them: it shows in
/// `hh_auth_hh_requests_total{call="token_refresh"}` only.
final class RefreshMetrics: Sendable {
    enum Result: String, CaseIterable, Sendable {
        /// The caller got a valid token: HH rotated the pair (also when the database then kept it
        /// waiting in memory), said the held token has not expired, or another process's new
        /// pair was found.
        case success
        /// HH refused the refresh token for good (spent, deactivated, revoked, unknown): the user's
        /// sessions ended.
        case revoked
        /// HH did not answer usably (timeout, network, 5xx, an unreadable body) or refused in
        /// words it does not document: the sessions stay, the caller gets a 502.
        case hhError = "hh_error"
        /// The refresh could not be carried out on our side: the database failed, or another
        /// process's refresh of the pair did not end in time. (A request refused because every HH
        /// call place was taken started no refresh: it is `hh_auth_rate_limited_total{limiter=
        /// "hh_concurrency"}`.)
        case failed
    }

    private let counters: LabeledCounters<Result>

    init(registry: PrometheusCollectorRegistry) {
        counters = LabeledCounters(
            registry, name: "hh_auth_token_refreshes", label: "result",
            help: "Refreshes of a session's HH token pair, by result")
    }

    func count(_ result: Result) {
        counters.increment(result)
    }
}
