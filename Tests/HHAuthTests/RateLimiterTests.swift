import Foundation
import HTTPCore
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

@Suite("Service rate limiter")
struct RateLimiterTests {
    @Test func countsPerAddressWithinTheHour() {
        let limiter = ClientRateLimiter(limit: 3)
        let now = 1_700_000_123
        let decisions = (0..<4).map { _ in limiter.check("10.0.0.1", now: now) }
        #expect(decisions.map(\.allowed) == [true, true, true, false])
        #expect(decisions.map(\.remaining) == [2, 1, 0, 0])
        #expect(decisions.allSatisfy { $0.resetAt == now - now % 3600 + 3600 && $0.limit == 3 })
        // Another address has its own budget.
        #expect(limiter.check("10.0.0.2", now: now).allowed)
    }

    @Test func aNewWindowStartsAfresh() {
        let limiter = ClientRateLimiter(limit: 1)
        let now = 1_700_000_000
        #expect(limiter.check("a", now: now).allowed)
        #expect(!limiter.check("a", now: now + 1).allowed)
        #expect(limiter.check("a", now: now - now % 3600 + 3600).allowed)
    }

    @Test func aFloodOfDistinctAddressesStaysBounded() {
        let limiter = ClientRateLimiter(limit: 10, capacity: 1_000, shardCount: 4)
        for index in 0..<100_000 {
            _ = limiter.check("198.51.\(index / 256 % 256).\(index % 256)-\(index)", now: 1_700_000_000)
        }
        #expect(limiter.trackedAddresses <= 1_000)
        #expect(limiter.trackedAddresses > 0)
    }

    @Test func filterAddsHeadersAndRefusesWithRetryAfter() throws {
        let clock = FixedClock(seconds: 1_700_000_100)
        let filter = RateLimitFilter(limiter: ClientRateLimiter(limit: 1), clock: clock)
        let request = HTTPRequest(
            method: "POST", path: "/auth/token", headers: ["x-forwarded-for": "1.2.3.4"], clientAddress: "127.0.0.1")
        let headers = try filter.check(request, endpoint: "/auth/token")
        #expect(headers.first { $0.name == "X-RateLimit-Remaining" }?.value == "0")
        #expect(headers.first { $0.name == "X-RateLimit-Reset" }?.value == "1700002800")
        var forged = request
        forged.headers["x-forwarded-for"] = "9.9.9.9"
        let refusal = #expect(throws: HTTPError.self) { try filter.check(forged, endpoint: "/auth/token") }
        #expect(refusal?.status == 429)
        #expect(refusal?.detail == "Rate limit exceeded")
        #expect(refusal?.headers.first { $0.name == "Retry-After" }?.value == "2700")
        // Health checks and scrapes are never limited.
        #expect(try filter.check(request, endpoint: "/health").isEmpty)
        #expect(try filter.check(request, endpoint: "/metrics").isEmpty)
    }

    /// One host holds a whole IPv6 /64: a client rotating its addresses within it counts as one,
    /// in memory (SQLite) and in the nodes' shared counts (PostgreSQL); another /64 is another client.
    @Test(arguments: EngineKind.allCases)
    func anIPv6ClientRotatingAddressesInOneSlash64IsLimited(_ kind: EngineKind) throws {
        let schema = kind == .postgresql ? try TestSchema() : nil
        let shared = try schema.map { schema in
            let engine = try PostgreSQLEngine(
                connectionString: schema.conninfo, stores: Fixtures.stores(clock: ManualClock()))
            return try #require(engine.sharedState).windowCounts
        }
        let limiter = ClientRateLimiter(limit: 5, shared: shared)
        let now = 1_700_000_123
        let decisions = (0..<8).map { index in
            limiter.check("2001:db8:1:2:\(String(index, radix: 16)):\(index * 7 % 65_536):9:1", now: now).allowed
        }
        #expect(decisions == [true, true, true, true, true, false, false, false])
        #expect(limiter.check("2001:db8:1:3::1", now: now).allowed)
        // IPv4 addresses stay one client each.
        #expect(limiter.check("192.0.2.1", now: now).allowed)
        #expect(limiter.check("192.0.2.2", now: now).allowed)
    }
}

private struct FixedClock: WallClock {
    let seconds: Double
    func now() -> Date { Date(timeIntervalSince1970: seconds) }
}
