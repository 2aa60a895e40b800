import Foundation
import HTTPCore

/// `GET /health` and `GET /metrics`.
struct HealthHandlers: Sendable {
    let probe: @Sendable () -> Bool
    let metrics: RequestMetrics
    let clock: any WallClock

    func register(in router: inout Router) {
        router.get("/health", effects: .readOnly) { _ in try health() }
        router.get("/metrics", effects: .readOnly) { request in try metricsExposition(request) }
    }

    private struct Health: Encodable {
        let status: String
        let version: String
        let timestamp: Date
        let detail: String?
    }

    func health() throws -> HTTPResponse {
        let healthy = probe()
        return try .json(
            Health(
                status: healthy ? "healthy" : "unhealthy", version: HHAuthVersion.current,
                timestamp: clock.now().wholeSeconds,
                detail: healthy ? nil : "Database is not readable"),
            status: healthy ? 200 : 503,
            headers: [HTTPHeader("Cache-Control", "no-store")])
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
