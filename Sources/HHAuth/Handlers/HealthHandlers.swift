import Foundation

/// `GET /health` and `GET /metrics`.
struct HealthHandlers: Sendable {
    let probe: @Sendable () -> Bool
    let metrics: RequestMetrics
    let clock: any WallClock

    func register(in router: inout Router) {
        router.get("/health") { _ in try health() }
        router.get("/metrics") { _ in metricsExposition() }
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
                status: healthy ? "healthy" : "unhealthy", version: HHAuthVersion.current, timestamp: clock.now().wholeSeconds,
                detail: healthy ? nil : "Database is not readable"),
            status: healthy ? 200 : 503,
            headers: [HTTPHeader("Cache-Control", "no-store")])
    }

    func metricsExposition() -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
            body: metrics.exposition())
    }
}
