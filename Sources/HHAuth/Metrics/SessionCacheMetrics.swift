import Prometheus
import WorkerThreads

/// Whether a PostgreSQL node's session memory (``SessionReadCache``, `SESSION_CACHE_MS`) answers,
/// and how often:
/// - `hh_auth_session_cache_enabled`: 1 when the node has the memory at all (PostgreSQL with
///   `SESSION_CACHE_MS` above 0); 0 on SQLite or with the setting 0.
/// - `hh_auth_session_cache_serving`: 1 while memory may answer, read off the cache at each scrape;
///   0 while every lookup asks the database (its feed lost the database, a change trigger is
///   missing or not enabled `ALWAYS`, its reads stopped returning). The log says which, once.
/// - `hh_auth_session_cache_lookups_total{answer}`: the session routes' lookups the memory
///   answered (`memory`) and those that asked the database meanwhile (`database`).
///
/// Why an operator needs it: the memory turning off changes no answer, only the cost of every
/// lookup (on the bench machine the session routes fall from ~100 % to ~40 % of the C ceiling;
/// BENCHMARKS.md), so nothing else shows it.
public final class SessionCacheMetrics: Sendable {
    /// The two counters a cache increments on its lookups.
    struct Lookups: Sendable {
        let memory: Prometheus.Counter
        let database: Prometheus.Counter
    }

    let lookups: Lookups
    private let enabled: Prometheus.Gauge
    private let serving: Prometheus.Gauge
    private let watched = Lock<SessionReadCache?>(nil)

    init(registry: PrometheusCollectorRegistry) {
        let descriptor = MetricNameDescriptor(
            metricName: "hh_auth_session_cache_lookups", unitName: "total",
            helpText:
                "Session lookups answered from the node's memory (memory) or by the database while it has one (database)"
        )
        lookups = Lookups(
            memory: registry.makeCounter(descriptor: descriptor, labels: [("answer", "memory")]),
            database: registry.makeCounter(descriptor: descriptor, labels: [("answer", "database")]))
        enabled = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "hh_auth_session_cache_enabled", unitName: "",
                helpText: "1 when the node remembers session lookups (PostgreSQL, SESSION_CACHE_MS above 0)"))
        serving = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "hh_auth_session_cache_serving", unitName: "",
                helpText: "1 while the node's session memory may answer; 0 while every lookup asks the database"))
    }

    /// The engine's cache, read at every scrape (``update()``).
    func watch(_ cache: SessionReadCache) {
        watched.withLock { $0 = cache }
    }

    /// Sets the gauges from the cache as it is now (a feed that stopped returning turns it off by
    /// itself, without telling anyone: only asking the cache shows it).
    func update() {
        let cache = watched.withLock { $0 }
        enabled.set(to: cache == nil ? 0 : 1)
        serving.set(to: cache?.isServing == true ? 1 : 0)
    }
}
