import FastCGI
import Foundation
import GRDB
import Testing

@testable import HHAuth
@testable import HTTPCore

/// Issue 9, "Hostile clients": label values clients choose, `HEAD` on routes that write, writes an
/// anonymous flood can cause, secrets in cacheable answers.
@Suite("Hostile clients")
struct HostileClientTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness()
    }

    private var exposition: String { String(decoding: harness.gateway.metrics.exposition(), as: UTF8.self) }

    private func samples() -> [Substring] {
        exposition.split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    /// Rows changed through the one writer connection since it opened: inserts, updates, deletes.
    private func writes() throws -> Int {
        try harness.database.write { db in db.totalChangesCount }
    }

    private func count(_ table: String) throws -> Int {
        try harness.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    private func from(_ address: String, _ method: String, _ uri: String) -> FastCGIResponse {
        harness.send(method, uri, extra: ["REMOTE_ADDR": address])
    }

    // MARK: - Item 5: metrics label cardinality

    @Test func inventedMethodsAndPathsDoNotGrowTheMetrics() throws {
        let paths = ["/health", "/auth/token", "/auth/login", "/nowhere", "/admin/users/1", "/%00x"]
        // Each kind of answer once, so every series the flood could reach exists already.
        for path in paths {
            _ = harness.send("BREW", path)
            _ = harness.send("GET", path + "/x")
        }
        let before = samples()
        for index in 0..<60 {
            for path in paths {
                _ = harness.send("M\(index)X", path)
                _ = harness.send("get", path)
                _ = harness.send("GET", path + "/\(UUID().uuidString)")
            }
        }
        let after = samples()
        #expect(after.count == before.count, "samples grew from \(before.count) to \(after.count)")
        let methods = Set(
            after.compactMap { line -> String? in
                guard let range = line.range(of: #"method=""#) else { return nil }
                return String(line[range.upperBound...].prefix { $0 != "\"" })
            })
        #expect(methods.isSubset(of: Set(RequestMetrics.methodLabels)), "\(methods)")
        #expect(!exposition.contains("M1X") && !exposition.contains("nowhere"))
    }

    // MARK: - Item 7: HEAD has no side effects

    /// Every route of the real router: `HEAD` never writes a row, never calls HH, and is either
    /// answered by a read-only route or refused with 405 and `Allow`.
    @Test func headOnEveryRouteChangesNothing() throws {
        let sessionID = try harness.sessionID()
        let state = try harness.login()
        let admin = "Basic " + Data("admin:admin".utf8).base64EncodedString()
        let routes = harness.gateway.application.router.table
        #expect(routes.count >= 15)
        for route in routes {
            var uri = route.pattern.replacingOccurrences(of: "{hh_user_id}", with: "1001")
                .replacingOccurrences(of: "{id}", with: "some-handle")
            if route.pattern == "/auth/callback" { uri += "?code=code-1001&state=\(state)" }
            if route.pattern == "/auth/login" {
                uri += "?redirect_uri=" + QueryParameters.encode(GatewayHarness.clientRedirect)
            }
            let headers = ["Authorization": route.authentication == "basic-admin" ? admin : "Bearer \(sessionID)"]
            let writesBefore = try writes()
            let callsBefore = harness.hh.transport.requests.count
            let response = harness.send("HEAD", uri, headers: headers)
            #expect(try writes() == writesBefore, "HEAD \(uri) wrote to the database")
            #expect(harness.hh.transport.requests.count == callsBefore, "HEAD \(uri) called HH")
            #expect(response.body.isEmpty)
            // A path with a read-only GET (`/auth/sessions` has a DELETE too) answers HEAD like GET.
            let readableByGET = routes.contains {
                $0.pattern == route.pattern && $0.method == "GET" && $0.effects == .readOnly
            }
            if readableByGET {
                #expect(response.status != 405, "HEAD \(uri) should be answered like GET")
            } else {
                #expect(response.status == 405, "HEAD \(uri): \(response.status)")
                #expect(response.header("Allow")?.contains(route.method) == true, "HEAD \(uri) without Allow")
            }
        }
        // The state HEAD saw is still there for the real callback.
        #expect(harness.callback(state: state, code: "code-1001").status == 200)
    }

    // MARK: - Item 8: anonymous requests cannot make the service write without bound

    @Test func callbacksWithoutAValidStateWriteOneSampledRowPerAddress() throws {
        let writesBefore = try writes()
        for index in 0..<300 {
            let uri = index.isMultiple(of: 3) ? "/auth/callback" : "/auth/callback?code=x&state=forged-\(index)"
            #expect(from("198.51.100.1", "GET", uri).status == 400)
        }
        // One audit row, nothing else written.
        #expect(try writes() - writesBefore == 1)
        #expect(exposition.contains(#"login_failures_total{reason="state_invalid"} 300"#))

        // Many addresses: at most the window's row budget (60) is written.
        for index in 0..<200 {
            _ = from("203.0.113.\(index % 250)", "GET", "/auth/callback?state=forged")
        }
        #expect(try writes() - writesBefore <= 61)
        #expect(exposition.contains(#"login_failures_total{reason="state_invalid"} 500"#))

        // In the next window the address's next row carries what was counted but not written.
        harness.clock.advance(seconds: 61)
        _ = from("198.51.100.1", "GET", "/auth/callback?state=forged")
        let last = try #require(try harness.auditEvents().last)
        #expect(last.metadata.contains(#""ip":"198.51.100.1""#))
        #expect(last.metadata.contains(#""unrecorded_repeats":299"#))
        #expect(last.metadata.contains(#""unrecorded_others":"#))
        #expect(last.metadata.contains(#""reason":"state_invalid""#))
    }

    /// `/auth/login` writes nothing, so a flood of sign-in starts from many addresses (here 100 IPv4
    /// addresses and an IPv6 /56) neither grows the database nor leaves any budget to exhaust: the
    /// real user right after it signs in as usual.
    @Test func loginFloodsWriteNothingAndLockNobodyOut() throws {
        let writesBefore = try writes()
        var statuses: [Int] = []
        for index in 0..<300 {
            let address =
                index.isMultiple(of: 2)
                ? "203.0.\(113 + index % 3).\(index % 100)" : "2001:db8:7:\(String(index % 256, radix: 16))::\(index)"
            let uri =
                index.isMultiple(of: 5)
                ? "/auth/login?redirect_uri=https%3A%2F%2Fapp.example.com%2Fdone" : "/auth/login"
            statuses.append(from(address, "GET", uri).status)
        }
        #expect(statuses.allSatisfy { $0 == 302 }, "\(Set(statuses))")
        let written = try writes() - writesBefore
        #expect(written == 0, "/auth/login wrote \(written) rows")
        #expect(try count("oauth_states") == 0)
        #expect(!exposition.contains("login_starts_refused"))

        // Every address of the flood, and 50 people behind one company NAT, still sign in.
        for _ in 0..<50 { #expect(from("203.0.113.1", "GET", "/auth/login").status == 302) }
        let state = try harness.login()
        #expect(harness.callback(state: state, code: "code-1001").status == 200)
        #expect(harness.callback(state: state, code: "code-1001").status == 400)
    }

    /// A forged, tampered, expired or replayed state is refused with the usual 400 and never takes
    /// the write lock (the address's first failure of the minute is the sampled audit row; nothing
    /// after it writes), and HH is never called.
    @Test func forgedExpiredAndReplayedStatesAreRefusedWithoutAWrite() throws {
        let used = try harness.login()
        #expect(harness.callback(state: used, code: "code-1001").status == 200)
        let expired = try harness.login()
        let genuine = try harness.login()
        harness.clock.advance(seconds: 10 * 60 + 1)
        _ = harness.send("GET", "/auth/callback?state=warm-up")  // the minute's sampled audit row
        let writesBefore = try writes()
        let callsBefore = harness.hh.transport.requests.count

        var tampered = Array(genuine.utf8)
        tampered[tampered.count / 2] =
            tampered[tampered.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let forged = [
            String(decoding: tampered, as: UTF8.self), String(genuine.dropLast()), genuine + "A",
            String(repeating: "A", count: genuine.count), "forged",
        ]
        for state in forged + [expired, used, used] {
            let response = harness.callback(state: state, code: "code-1001")
            #expect(response.status == 400, "\(state)")
            #expect(response.detail == "Invalid or expired state parameter")
            let denied = harness.send(
                "GET", "/auth/callback?error=access_denied&state=\(QueryParameters.encode(state))")
            #expect(denied.detail == "Invalid or expired state parameter")
        }
        #expect(try writes() == writesBefore)
        #expect(harness.hh.transport.requests.count == callsBefore)
    }

    /// States cost nothing to mint, so a callback that cannot succeed (denied, no code) does not use
    /// its state up and writes only the sampled audit row: minting and failing in a loop makes the
    /// service write once a minute per address, not once per request.
    @Test func failingCallbacksWithFreshStatesWriteOnlySampledRows() throws {
        let writesBefore = try writes()
        for index in 0..<100 {
            let state = try harness.login()
            let uri =
                index.isMultiple(of: 2)
                ? "/auth/callback?error=access_denied&state=\(state)" : "/auth/callback?state=\(state)"
            #expect(from("198.51.100.9", "GET", uri).status == 400)
        }
        #expect(try writes() - writesBefore == 1)
        #expect(exposition.contains(#"login_failures_total{reason="access_denied"} 50"#))
        #expect(exposition.contains(#"login_failures_total{reason="hh_error"} 50"#))
        #expect(try count("oauth_states") == 0)
    }

    @Test func perClientBoundsCountAnIPv6SlashSixtyFourAsOneClient() {
        #expect(AddressBucket.of("2001:db8:7:7::1") == AddressBucket.of("2001:db8:7:7:ffff:1:2:3"))
        #expect(AddressBucket.of("2001:db8:7:7::1") == "20010db800070007/64")
        #expect(AddressBucket.of("2001:db8:7:8::1") != AddressBucket.of("2001:db8:7:7::1"))
        #expect(AddressBucket.of("198.51.100.1") == "198.51.100.1")
        #expect(AddressBucket.of("::ffff:198.51.100.1") == "::ffff:198.51.100.1")
        #expect(AddressBucket.of("not an address:") == "not an address:")
    }

    // Item 9 (no-store on /auth/exchange) is ContractScenarios' exchange scenario.

    // MARK: - Item 13: /metrics for all of loopback, in the service too

    @Test func metricsAnswerTheLoopbackRangeOnly() {
        for address in ["127.0.0.1", "127.0.0.2", "127.200.3.4", "::1", "::ffff:127.0.0.9"] {
            #expect(from(address, "GET", "/metrics").status == 200, "\(address)")
        }
        for address in [
            "203.0.113.7", "128.0.0.1", "10.127.0.1", "::2", "::ffff:10.0.0.1", "", "127.0.0.1.evil", "127.0.0.256",
        ] {
            let response = from(address, "GET", "/metrics")
            #expect(response.status == 403, "\(address)")
            #expect(response.detail == "Forbidden")
        }
    }
}
