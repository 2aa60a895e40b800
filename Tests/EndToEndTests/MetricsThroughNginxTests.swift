import Foundation
import Testing

/// Issue 12 through nginx against the real binaries: `/metrics` after a sign-in and a refresh
/// shows the domain counters risen, and an HH failure the stand-in is told to make shows as one.
/// The last scrape is kept in `<repo>/.test-output/MetricsThroughNginxTests/metrics.txt`.
@Suite("Metrics through nginx", .serialized)
struct MetricsThroughNginxTests {
    /// The samples of one scrape, by series (`name{labels}` as written).
    struct Scrape {
        let text: String
        let values: [String: Double]

        init(_ stack: TestStack) throws {
            let response = try stack.http.get("/metrics")
            guard response.status == 200 else { throw HarnessError("/metrics: \(response.status) \(response.text)") }
            text = response.text
            var values: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " ") else { continue }
                values[String(line[..<space])] = Double(line[line.index(after: space)...])
            }
            self.values = values
        }

        subscript(_ series: String) -> Double { values[series] ?? -1 }
    }

    private static func hh(_ call: String, _ outcome: String) -> String {
        #"hh_auth_hh_requests_total{call="\#(call)",outcome="\#(outcome)"}"#
    }

    @Test func aSignInARefreshAndAnHHFailureMoveTheDomainSeries() throws {
        // A short janitor interval: the live sessions are counted at least that often.
        let stack = try TestStack(.init(environment: ["JANITOR_INTERVAL_SECONDS": "1"]))
        let before = try Scrape(stack)
        #expect(before[#"hh_auth_logins_total{result="success"}"#] == 0)
        #expect(before[Self.hh("token_code", "ok")] == 0)
        #expect(before[#"hh_auth_build_info{version="0.1.0"}"#] == 1)
        #expect(before["process_resident_memory_bytes"] > 0)
        #expect(before["process_open_fds"] > 0)
        #expect(before["process_cpu_seconds_total"] >= 0)
        #expect(before["process_start_time_seconds"] > Date().timeIntervalSince1970 - 3600)

        let sessionID = try BrowserLogin(stack: stack).session()
        try stack.hh.expireAccessTokens()
        #expect(try stack.http.post("/auth/refresh", json: ["session_id": sessionID]).status == 200)
        let after = try Scrape(stack)
        #expect(after[#"hh_auth_logins_total{result="success"}"#] == 1)
        #expect(after[Self.hh("token_code", "ok")] == 1)
        #expect(after[Self.hh("me", "ok")] == 1)
        #expect(after[Self.hh("token_refresh", "ok")] == 1)
        #expect(after[#"hh_auth_token_refreshes_total{result="success"}"#] == 1)
        #expect(after[#"hh_auth_hh_request_duration_seconds_count{call="token_refresh"}"#] == 1)
        #expect(try eventually { try Scrape(stack)["hh_auth_sessions_active"] == 1 })

        // HH's token endpoint fails once: the refresh is an HH error, the call a server error.
        try stack.hh.fail("token", mode: "500", count: 1)
        try stack.hh.expireAccessTokens()
        #expect(try stack.http.post("/auth/refresh", json: ["session_id": sessionID]).status == 502)
        let failed = try Scrape(stack)
        #expect(failed[Self.hh("token_refresh", "server_error")] == 1)
        #expect(failed[#"hh_auth_token_refreshes_total{result="hh_error"}"#] == 1)
        #expect(failed[#"hh_auth_token_refreshes_total{result="success"}"#] == 1)
        #expect(try stack.http.post("/auth/refresh", json: ["session_id": sessionID]).status == 200)
        #expect(try Scrape(stack)[#"hh_auth_token_refreshes_total{result="success"}"#] == 2)

        // Logged out: the (live) pair is revoked at HH by the janitor's thread, and the session is
        // no longer counted.
        #expect(try stack.http.post("/auth/logout", json: ["session_id": sessionID]).status == 200)
        #expect(try eventually { try Scrape(stack)[Self.hh("revoke", "ok")] == 1 })
        #expect(try eventually { try Scrape(stack)["hh_auth_sessions_active"] == 0 })

        let kept = TestStack.repository + "/.test-output/MetricsThroughNginxTests"
        try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
        try Scrape(stack).text.write(toFile: kept + "/metrics.txt", atomically: true, encoding: .utf8)
    }
}
