import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// `/auth/login` and `/auth/callback` through the whole gateway, in process.
@Suite("Gateway: browser login")
struct GatewayLoginTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness()
    }

    private func failureReasons() throws -> [String] {
        try harness.auditEvents().filter { $0.type == "login_failed" }.map(\.metadata)
    }

    @Test func loginRedirectsToHHWithAFreshState() throws {
        let response = harness.send("GET", "/auth/login")
        #expect(response.status == 302)
        #expect(response.header("Cache-Control") == "no-store")
        let location = try #require(response.header("Location"))
        #expect(location.hasPrefix(Fixtures.authorizeURL + "?"))
        let query = GatewayHarness.query(of: location)
        #expect(query["response_type"] == "code")
        #expect(query["client_id"] == "client-id")
        #expect(query["redirect_uri"] == Fixtures.redirectURI)
        let state = try #require(query["state"])
        #expect(state.count >= 22)  // at least 128 bits of base64url
        let other = GatewayHarness.query(of: harness.send("GET", "/auth/login").header("Location") ?? "")["state"]
        #expect(other != state)
    }

    @Test func unknownOrMissingStateIs400() throws {
        for uri in ["/auth/callback?code=code-1001&state=forged", "/auth/callback?code=code-1001", "/auth/callback"] {
            let response = harness.send("GET", uri)
            #expect(response.status == 400, "\(uri)")
            #expect(response.detail == "Invalid or expired state parameter")
        }
        #expect(harness.hh.transport.requests.isEmpty)
        // One client address: the first failure is written, the repeats are counted (issue 9, item 8).
        let reasons = try failureReasons()
        #expect(reasons.count == 1)
        #expect(reasons.allSatisfy { $0.contains(#""reason":"state_invalid""#) })
        let metrics = String(decoding: harness.gateway.metrics.exposition(), as: UTF8.self)
        #expect(metrics.contains(#"login_failures_total{reason="state_invalid"} 3"#))
    }

    // That a state is used up once is a contract scenario (ContractScenarios, LoginScenarios).
    @Test func stateExpiresAfterTenMinutes() throws {
        let late = try harness.login()
        harness.clock.advance(seconds: 10 * 60 + 1)
        let expired = harness.callback(state: late, code: "code-1001")
        #expect(expired.status == 400)
        #expect(expired.detail == "Invalid or expired state parameter")
    }

    /// The state carries everything the callback needs: another process with the same key and
    /// allow-list accepts it, one whose allow-list was reordered refuses it (the code would otherwise
    /// go to the other client), and `/auth/login` left nothing behind in either database.
    @Test func stateNamesItsRedirectSoAReorderedAllowListRefusesIt() throws {
        let other = "https://other.example.com/back"
        let minting = try GatewayHarness { $0.clientRedirectURIs = [GatewayHarness.clientRedirect, other] }
        let state = try minting.login(redirect: GatewayHarness.clientRedirect)
        let reordered = try GatewayHarness { $0.clientRedirectURIs = [other, GatewayHarness.clientRedirect] }
        // From the browser that started it (its cookie sent as it was, whatever an answer deletes).
        let cookie = try #require(minting.browser.header())
        let refused = reordered.callback(state: state, code: "code-1001", headers: ["Cookie": cookie])
        #expect(refused.status == 400)
        #expect(refused.detail == "Invalid or expired state parameter")
        #expect(reordered.hh.transport.requests.isEmpty)
        let same = try GatewayHarness { $0.clientRedirectURIs = [GatewayHarness.clientRedirect, other] }
        let accepted = same.callback(state: state, code: "code-1001", headers: ["Cookie": cookie])
        #expect(accepted.status == 302)
        #expect(accepted.header("Location")?.hasPrefix(GatewayHarness.clientRedirect + "?exchange_code=") == true)
        let minted = try minting.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM oauth_states")
        }
        #expect(minted == 0)
    }

    // The 400, its detail and the audited reason are a contract scenario; HH never hears of it.
    @Test func deniedAuthorizationNeverCallsHH() throws {
        let state = try harness.login()
        let response = harness.send("GET", "/auth/callback?error=access_denied&state=\(state)")
        #expect(response.status == 400)
        #expect(harness.hh.transport.requests.isEmpty)
    }

    // The 403 (JSON or page) and its audited failure are a contract scenario; nothing is kept of the user.
    @Test func userOffTheWhitelistLeavesNoUserAndNoToken() throws {
        let response = harness.callback(state: try harness.login(), code: "code-2002")
        #expect(response.status == 403)
        let users = try harness.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM users") }
        let tokens = try harness.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM hh_tokens")
        }
        #expect(users == 0)
        #expect(tokens == 0)
    }

    // The success page itself is a contract scenario; this is what it took at HH and in the database.
    @Test func signInExchangesTheCodeAtHHAndKeepsTheUser() throws {
        let response = harness.callback(state: try harness.login(), code: "code-1001")
        #expect(response.status == 200)
        let code = try #require(GatewayHarness.exchangeCode(inPage: response.text))

        let exchange = try #require(harness.hh.transport.requests(to: Fixtures.tokenURL).first)
        #expect(FakeHH.form(exchange)["code"] == "code-1001")
        #expect(FakeHH.form(exchange)["redirect_uri"] == Fixtures.redirectURI)
        let events = try harness.auditEvents()
        #expect(events.map(\.type) == ["login"])
        #expect(events.allSatisfy { !$0.metadata.contains(code) && !$0.metadata.contains("access-1001") })
        let user = try harness.database.read { db in
            try UserStore(clock: harness.clock).find(hhUserID: "1001", in: db)
        }
        #expect(user?.fullName == "Иван Сергеевич Петров")
        #expect(user?.email == "ivan@example.com")
    }

    @Test func hhDownAtCallbackIs502() throws {
        harness.hh.transport.on(Fixtures.tokenURL, status: 500, json: "<html>oops</html>")
        let response = harness.callback(state: try harness.login(), code: "code-1001")
        #expect(response.status == 502)
        #expect(response.detail == "HeadHunter is unavailable, try again later")
        #expect(try failureReasons().first?.contains(#""reason":"hh_error""#) == true)
    }

    @Test func hhTransportFailureAtMeIs502() throws {
        harness.hh.transport.on(Fixtures.apiURL + "/me") { _ in throw HHTransportError("connection reset") }
        let response = harness.callback(state: try harness.login(), code: "code-1001")
        #expect(response.status == 502)
        #expect(response.detail == "HeadHunter is unavailable, try again later")
        #expect(!response.text.contains("reset"))
    }
}
