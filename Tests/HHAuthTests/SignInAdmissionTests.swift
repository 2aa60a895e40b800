import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// States cost nothing to mint, so a callback with a fresh state and any code is what an anonymous
/// client can repeat at will: it may cost only a bounded number of HH calls per client (each with
/// the one write that uses its state up), and never every place among the HH calls.
@Suite("Gateway: sign-in admission")
struct SignInAdmissionTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness { $0.signInsPerClientPerMinute = 5 }
    }

    private func writes() throws -> Int {
        try harness.database.write { db in db.totalChangesCount }
    }

    private func count(_ table: String) throws -> Int {
        try harness.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    private var exchanges: Int {
        harness.hh.transport.requests(to: Fixtures.tokenURL).map(FakeHH.form).filter {
            $0["grant_type"] == "authorization_code"
        }.count
    }

    private func callback(from address: String, state: String, code: String) -> FastCGIResponse {
        harness.send(
            "GET", "/auth/callback?code=\(code)&state=\(QueryParameters.encode(state))",
            headers: ["Accept": "application/json"], extra: ["REMOTE_ADDR": address])
    }

    @Test func fakeCodesWithFreshStatesCostABoundedNumberOfHHCallsAndWrites() throws {
        let before = try writes()
        // One address: five exchanges a minute, then 429 before HH is called or anything written.
        for index in 0..<8 {
            let answer = callback(from: "198.51.100.7", state: try harness.login(), code: "x")
            if index < 5 {
                #expect(answer.status == 400)
                #expect(answer.detail == "HeadHunter rejected the authorization code, please log in again")
            } else {
                #expect(answer.status == 429)
                #expect(answer.header("Retry-After").flatMap(Int.init).map { (1...60).contains($0) } == true)
            }
        }
        #expect(exchanges == 5)
        // Many addresses: each is a refused code at HH and a used-up state.
        for index in 0..<40 {
            #expect(callback(from: "203.0.113.\(index + 10)", state: try harness.login(), code: "x").status == 400)
        }
        #expect(exchanges == 45)
        #expect(try count("oauth_states") == 45)
        #expect(try count("hh_revocations") == 0)
        // The used states, and the sampled audit rows (first per address per minute).
        #expect(try writes() - before == 45 + 41)
        // A minute later the address may try again.
        harness.clock.advance(seconds: 60)
        #expect(callback(from: "198.51.100.7", state: try harness.login(), code: "x").status == 400)
    }

    @Test func codeExchangesNeverTakeEveryPlaceAmongTheHHCalls() throws {
        let limited = try GatewayHarness { $0.headHunter.maxConcurrentCalls = 4 }
        let held = Gate()
        let arrived = Locked(0)
        let allIn = Gate()
        limited.hh.transport.on(Fixtures.tokenURL) { _ in
            if arrived.withLock({ count in
                count += 1; return count
            }) == 2 {
                allIn.open()
            }
            held.wait(timeoutSeconds: 30)
            return HHHTTPResponse(
                status: 400, body: Array(#"{"error":"invalid_grant","error_description":"bad code"}"#.utf8))
        }
        let done = DispatchGroup()
        for index in 0..<2 {
            let state = try limited.login()
            done.enter()
            Thread {
                _ = limited.send(
                    "GET", "/auth/callback?code=x&state=\(state)", extra: ["REMOTE_ADDR": "198.51.100.\(index)"])
                done.leave()
            }.start()
        }
        #expect(allIn.wait(timeoutSeconds: 10))
        // Two of the four places hold code exchanges: a third sign-in waits its turn (503) ...
        let third = limited.send(
            "GET", "/auth/callback?code=x&state=\(try limited.login())", headers: ["Accept": "application/json"],
            extra: ["REMOTE_ADDR": "198.51.100.9"])
        #expect(third.status == 503)
        #expect(third.header("Retry-After") == "2")
        held.open()
        #expect(done.wait(timeout: .now() + 30) == .success)
    }

    @Test func aStateIsUsedUpOnce() throws {
        let state = try harness.login()
        #expect(callback(from: "198.51.100.7", state: state, code: "code-1001").status == 200)
        #expect(try count("oauth_states") == 1)
        let replay = callback(from: "198.51.100.7", state: state, code: "code-1001")
        #expect(replay.status == 400)
        #expect(replay.detail == "Invalid or expired state parameter")
        #expect(exchanges == 1)
    }

    @Test func aUserOffTheWhitelistLeavesNoLivePairAndSampledRows() throws {
        let before = try harness.auditEvents().count
        for _ in 0..<3 {
            #expect(callback(from: "198.51.100.7", state: try harness.login(), code: "code-2002").status == 403)
        }
        // Each pair HH issued is queued for revocation; one audit row names the user this minute.
        #expect(try count("hh_revocations") == 3)
        let rows = try harness.auditEvents().dropFirst(before).filter { $0.metadata.contains("not_whitelisted") }
        #expect(rows.count == 1)
        #expect(rows.first?.metadata.contains(#""hh_user_id":"2002""#) == true)
        #expect(try harness.gateway.janitor.revokeDue() == 3)
    }
}

extension SignInAdmissionTests {
    private var revokedTokens: [String] {
        harness.hh.transport.requests(to: Fixtures.apiURL + "/oauth/token", method: "DELETE").compactMap {
            $0.headers["Authorization"]
        }
    }

    /// A fault after HH issued the pair (its `/me` fails): the pair is revoked at once.
    @Test func aPairHHIssuedForASignInThatFailedIsRevoked() throws {
        harness.hh.transport.on(Fixtures.apiURL + "/me", status: 500, json: #"{"description":"down"}"#)
        #expect(callback(from: "198.51.100.7", state: try harness.login(), code: "code-1001").status == 502)
        #expect(revokedTokens == ["Bearer access-1001-1"])
        #expect(try count("hh_tokens") == 0)
    }

    /// The same when the database refuses the sign-in's transaction after HH answered (another
    /// process holds the write lock past the busy timeout).
    @Test func aPairIsRevokedWhenTheDatabaseRefusesTheSignInAfterHHAnswered() throws {
        let lock = try WriteLockHolder(path: harness.database.path)
        let me = harness.hh.transport
        let profile = HHLikeFake.profiles["1001"]!
        me.on(Fixtures.apiURL + "/me") { _ in
            try lock.take()
            return HHHTTPResponse(status: 200, body: Array(profile.utf8))
        }
        let answer = callback(from: "198.51.100.7", state: try harness.login(), code: "code-1001")
        try lock.release()
        #expect(answer.status == 503)
        #expect(revokedTokens == ["Bearer access-1001-1"])
        #expect(try count("hh_tokens") == 0)
    }

    @Test func oneClientHoldsAtMostTwoExchangesAtOnce() throws {
        let admission = CodeExchangeAdmission(perClientPerMinute: 100, maxInFlight: 8)
        let first = try admission.enter(client: "a", state: [1], now: 0)
        _ = try admission.enter(client: "a", state: [2], now: 0)
        #expect(throws: CodeExchangeAdmission.Refusal.tooManyFromClient(retryAfterSeconds: 2)) {
            try admission.enter(client: "a", state: [3], now: 0)
        }
        _ = try admission.enter(client: "b", state: [4], now: 0)
        admission.leave(first)
        _ = try admission.enter(client: "a", state: [5], now: 0)
    }
}
