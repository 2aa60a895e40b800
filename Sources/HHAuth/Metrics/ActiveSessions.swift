import Prometheus

/// `hh_auth_sessions_active`: the live sessions (unexpired, and not past the idle timeout of
/// browser sessions: ``SessionLiveness``), as the janitor last counted them.
///
/// A scrape only reads the value kept here, so its cost does not grow with the sessions table. The
/// janitor's thread counts (a range count on `sessions_by_expiry`, on its own read connection;
/// with the idle timeout it also reads each unexpired row's kind and last use: ~21 ms for 100,000
/// sessions on SQLite, measured by a review, against ~1.5 ms index-only) at start, after every pass, and at least every ``recountSeconds``: sessions that
/// end anywhere (a logout, expiry, the janitor, an admin, the CLI in another process) are in the
/// next count. So the value is at most that old, plus a pass the janitor is busy with.
public final class ActiveSessions: Sendable {
    /// The longest the janitor goes without counting (`JANITOR_INTERVAL_SECONDS` when that is shorter).
    public static let recountSeconds = 15.0

    private let gauge: Prometheus.Gauge

    init(registry: PrometheusCollectorRegistry) {
        gauge = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "hh_auth_sessions_active", unitName: "",
                helpText:
                    "Live sessions (unexpired, not past the idle timeout), as the janitor last counted them (at most about 15 s ago)"
            ))
    }

    func set(_ count: Int) {
        gauge.set(to: Double(count))
    }
}
