import CoreMetrics
import Prometheus
import WorkerThreads

/// `requests_total{method,endpoint,status}` and `request_duration_seconds{method,endpoint}`, through
/// swift-metrics with a Prometheus registry of our own (no global bootstrap, so tests can make many);
/// ``ServiceMetrics`` holds it with the others and writes the exposition.
///
/// No label value comes from the client: `endpoint` is a route pattern or `unmatched` (never a raw
/// path), `method` one of ``methodLabels`` (anything else is `other`), `status` a code our own
/// code chose. Otherwise every invented method or path would add series that are never freed.
public final class RequestMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Handle caches, sharded by key so concurrent requests rarely meet on one mutex.
    private let counterShards = (0..<8).map { _ in Lock<[CounterKey: CoreMetrics.Counter]>([:]) }
    private let timerShards = (0..<8).map { _ in Lock<[TimerKey: CoreMetrics.Timer]>([:]) }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(15),
        ]
        self.factory = factory
    }

    /// The `method` label values: the methods some route answers, and `other`.
    public static let methodLabels = ["GET", "HEAD", "POST", "DELETE", "other"]

    static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET": "GET"
        case "HEAD": "HEAD"
        case "POST": "POST"
        case "DELETE": "DELETE"
        default: "other"
        }
    }

    /// The handle caches' keys: structs, not `"\(method) \(endpoint) \(status)"` strings, which
    /// cost an allocation and a long hash twice per request (callgrind, BENCHMARKS.md "Issue 15").
    private struct CounterKey: Hashable {
        let method: String
        let endpoint: String
        let status: Int
    }

    private struct TimerKey: Hashable {
        let method: String
        let endpoint: String
    }

    public func record(method rawMethod: String, endpoint: String, status: Int, nanoseconds: Int64) {
        let method = Self.methodLabel(rawMethod)
        let counterKey = CounterKey(method: method, endpoint: endpoint, status: status)
        let counter = counterShards[Self.shard(endpoint, status)].withLock { cache in
            if let counter = cache[counterKey] { return counter }
            let counter = CoreMetrics.Counter(
                label: "requests_total",
                dimensions: [("method", method), ("endpoint", endpoint), ("status", String(status))], factory: factory)
            cache[counterKey] = counter
            return counter
        }
        counter.increment()
        let timerKey = TimerKey(method: method, endpoint: endpoint)
        let timer = timerShards[Self.shard(endpoint, 0)].withLock { cache in
            if let timer = cache[timerKey] { return timer }
            let timer = CoreMetrics.Timer(
                label: "request_duration_seconds", dimensions: [("method", method), ("endpoint", endpoint)],
                factory: factory)
            cache[timerKey] = timer
            return timer
        }
        timer.recordNanoseconds(nanoseconds)
    }

    private static func shard(_ endpoint: String, _ status: Int) -> Int {
        Int(endpoint.utf8.count &+ Int(endpoint.utf8.last ?? 0) &+ status) & 7
    }
}
