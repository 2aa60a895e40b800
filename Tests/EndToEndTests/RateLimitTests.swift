import Foundation
import Testing

/// The service's own hourly limit per client address, through nginx (whose per-minute limit is off here).
@Suite("Service rate limit through nginx")
struct RateLimitTests {
    @Test func hourlyLimitCountsRemoteAddrOnly() throws {
        let stack = try TestStack(.init(environment: ["RATE_LIMITS": "on", "RATE_LIMIT_PER_HOUR": "5"]))
        var remaining: [String] = []
        for index in 0..<5 {
            // A different forged X-Forwarded-For each time must not buy a fresh budget.
            let response = try stack.http.post(
                "/auth/token", json: ["session_id": "nope"], headers: ["X-Forwarded-For": "203.0.113.\(index)"])
            #expect(response.status == 401)
            #expect(response.headers["x-ratelimit-limit"] == "5")
            remaining.append(response.headers["x-ratelimit-remaining"] ?? "")
            let reset = Int(response.headers["x-ratelimit-reset"] ?? "") ?? 0
            #expect(reset > Int(Date().timeIntervalSince1970))
        }
        #expect(remaining == ["4", "3", "2", "1", "0"])
        let refused = try stack.http.post(
            "/auth/token", json: ["session_id": "nope"], headers: ["X-Forwarded-For": "198.51.100.7"])
        #expect(refused.status == 429)
        #expect(refused.detail == "Rate limit exceeded")
        #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 > 0)
        #expect(refused.headers["x-ratelimit-remaining"] == "0")
        // Exempt: health checks keep answering.
        #expect(try stack.http.get("/health").status == 200)
    }
}
