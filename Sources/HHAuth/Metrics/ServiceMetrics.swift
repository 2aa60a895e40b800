import Prometheus
import WorkerThreads

/// Every metric of the service, over one Prometheus registry, and the text `/metrics` answers.
///
/// The domain series (`hh_auth_*`) are all made here, up front, with every label value of their
/// fixed sets, so each exists at 0 from the start (ratios in alert rules need both sides) and no
/// request can add one. The pieces that count get only their own part.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// `requests_total`, `request_duration_seconds`: per request, in ``Application``.
    public let requests: RequestMetrics
    /// `hh_auth_logins_total`, `login_failures_total`.
    public let logins: LoginMetrics
    let hhCalls: HHCallMetrics
    let refreshes: RefreshMetrics
    public let rateLimits: RateLimitMetrics
    /// `hh_auth_admin_auth_failures_total`: wrong admin credentials (what `admin_auth_failed` audits).
    let adminAuthFailures: Prometheus.Counter
    public let databaseErrors: DatabaseErrorMetrics
    public let activeSessions: ActiveSessions
    /// `hh_auth_session_cache_*`: a PostgreSQL node's session memory.
    public let sessionCache: SessionCacheMetrics
    private let sqliteHeap: Prometheus.Gauge
    private let process = ProcessMetrics()
    /// The last exposition's size, so the next one is written into a buffer that fits at once.
    private let lastSize = Lock(0)

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        requests = RequestMetrics(registry: registry)
        logins = LoginMetrics(registry: registry)
        hhCalls = HHCallMetrics(registry: registry)
        refreshes = RefreshMetrics(registry: registry)
        rateLimits = RateLimitMetrics(registry: registry)
        adminAuthFailures = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "hh_auth_admin_auth_failures", unitName: "total",
                helpText: "Admin API requests with a wrong username or password"))
        databaseErrors = DatabaseErrorMetrics(registry: registry)
        activeSessions = ActiveSessions(registry: registry)
        sessionCache = SessionCacheMetrics(registry: registry)
        sqliteHeap = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                subsystem: "sqlite", metricName: "heap", unitName: "bytes",
                helpText: "Memory SQLite holds, mostly the page caches of the per-thread read connections"))
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "hh_auth_build", unitName: "info", helpText: "Always 1; the version of the running hh-auth"),
            labels: [("version", HHAuthVersion.current)]
        ).set(to: 1)
    }

    /// The Prometheus text exposition: the registry's series, then the process's. Costs the same
    /// however many sessions there are (``ActiveSessions`` keeps the count).
    public func exposition() -> [UInt8] {
        sqliteHeap.set(AppDatabase.sqliteHeapBytes)
        sessionCache.update()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(lastSize.withLock { $0 } + 1024)
        registry.emit(into: &buffer)
        process.emit(into: &buffer)
        lastSize.withLock { $0 = buffer.count }
        return buffer
    }
}
