import Foundation
import HTTPCore

/// `GET /health` and `GET /metrics`.
struct HealthHandlers: Sendable {
    let probe: @Sendable () -> Bool
    let metrics: ServiceMetrics
    let clock: any WallClock

    func register(in router: inout Router) {
        router.get("/health", effects: .readOnly) { _ in try health() }
        router.get("/metrics", effects: .readOnly) { request in try metricsExposition(request) }
    }

    /// The answer's shape through the shared encoder; ``healthJSON(healthy:timestamp:)`` writes it.
    struct Health: Encodable {
        let status: String
        let version: String
        let timestamp: Date
        let detail: String?
    }

    func health() throws -> HTTPResponse {
        let healthy = probe()
        return .json(
            bytes: Self.healthJSON(healthy: healthy, timestamp: clock.now()), status: healthy ? 200 : 503,
            headers: [HTTPHeader("Cache-Control", "no-store")])
    }

    /// ``Health`` as the shared encoder writes it (`detail` left out when nil), written directly:
    /// through `JSONEncoder` the date strategy alone pulled about 2 MiB of Foundation into the
    /// resident set on the first call, and the encoding was a sixth of the route's instructions
    /// (BENCHMARKS.md "Issue 15"). HandWrittenJSONTests holds the two byte-identical.
    static func healthJSON(healthy: Bool, timestamp: Date) -> [UInt8] {
        var json = JSONObjectWriter()
        if !healthy { json.add("detail", "Database is not readable") }
        json.add("status", healthy ? "healthy" : "unhealthy")
        json.add("timestamp", timestamp.wholeSeconds)
        json.add("version", HHAuthVersion.current)
        return json.finish()
    }

    /// Loopback only, as nginx already enforces: a second line of defence should nginx's rule or
    /// the path it guards ever drift from the route.
    func metricsExposition(_ request: HTTPRequest) throws -> HTTPResponse {
        guard LoopbackAddress.contains(request.clientAddress) else { throw HTTPError(403, "Forbidden") }
        return HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
            body: metrics.exposition())
    }
}
