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

    @Test func loginAcceptsOnlyAllowListedClientRedirects() throws {
        #expect(harness.send("GET", "/auth/login?redirect_uri=https%3A%2F%2Fapp.example.com%2Fdone").status == 302)
        for bad in [
            "https://evil.example.com/", "https://app.example.com/done/", "https://app.example.com/done?x=1",
            "https://app.example.com.evil.com/done", "//evil.example.com", "",
        ] {
            let response = harness.send("GET", "/auth/login?redirect_uri=" + QueryParameters.encode(bad))
            #expect(response.status == 400, "\(bad)")
            #expect(response.header("Location") == nil)
            #expect(response.header("Content-Type") == "application/json; charset=utf-8")
            #expect(response.detail != nil)
        }
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

    @Test func stateIsOneTimeAndExpires() throws {
        let state = try harness.login()
        #expect(harness.callback(state: state, code: "code-1001").status == 200)
        let replay = harness.callback(state: state, code: "code-1001")
        #expect(replay.status == 400)
        #expect(replay.detail == "Invalid or expired state parameter")

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
        let refused = reordered.callback(state: state, code: "code-1001")
        #expect(refused.status == 400)
        #expect(refused.detail == "Invalid or expired state parameter")
        #expect(reordered.hh.transport.requests.isEmpty)
        let same = try GatewayHarness { $0.clientRedirectURIs = [GatewayHarness.clientRedirect, other] }
        let accepted = same.callback(state: state, code: "code-1001")
        #expect(accepted.status == 302)
        #expect(accepted.header("Location")?.hasPrefix(GatewayHarness.clientRedirect + "?exchange_code=") == true)
        let minted = try minting.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM oauth_states")
        }
        #expect(minted == 0)
    }

    @Test func deniedAuthorizationIs400() throws {
        let state = try harness.login()
        let response = harness.send("GET", "/auth/callback?error=access_denied&state=\(state)")
        #expect(response.status == 400)
        #expect(response.detail == "Authorization was denied")
        #expect(harness.hh.transport.requests.isEmpty)
        #expect(try failureReasons().contains { $0.contains(#""reason":"access_denied""#) })
    }

    @Test func userOffTheWhitelistIs403() throws {
        let response = harness.callback(state: try harness.login(), code: "code-2002")
        #expect(response.status == 403)
        #expect(response.detail == "User 2002 is not allowed to access this service")
        let reasons = try failureReasons()
        #expect(reasons.count == 1)
        #expect(reasons.first?.contains(#""reason":"not_whitelisted""#) == true)
        #expect(reasons.first?.contains(#""hh_user_id":"2002""#) == true)
        let users = try harness.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM users") }
        let tokens = try harness.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM hh_tokens")
        }
        #expect(users == 0)
        #expect(tokens == 0)
    }

    @Test func failurePageIsHTMLWhenTheBrowserAsksForIt() throws {
        let response = harness.callback(
            state: try harness.login(), code: "code-2002", headers: ["Accept": "text/html,*/*"])
        #expect(response.status == 403)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.text.contains("User 2002 is not allowed to access this service"))
        #expect(response.header("Cache-Control") == "no-store")
    }

    @Test func successPageShowsTheExchangeCode() throws {
        let response = harness.callback(state: try harness.login(), code: "code-1001")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("Referrer-Policy") == "no-referrer")
        let csp = try #require(response.header("Content-Security-Policy"))
        #expect(csp.contains("default-src 'none'"))
        #expect(csp.contains("frame-ancestors 'none'"))
        let page = response.text
        #expect(page.contains(#"id="exchange-code""#))
        #expect(page.contains("Иван Сергеевич Петров"))
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("src=\"//"))
        let code = try #require(GatewayHarness.exchangeCode(inPage: page))
        #expect(code.count >= 22)

        let exchange = try #require(harness.hh.transport.requests(to: Fixtures.tokenURL).first)
        #expect(FakeHH.form(exchange)["code"] == "code-1001")
        #expect(FakeHH.form(exchange)["redirect_uri"] == Fixtures.redirectURI)
        let events = try harness.auditEvents()
        #expect(events.map(\.type) == ["login"])
        #expect(events.first?.metadata.contains(#""hh_user_id":"1001""#) == true)
        #expect(events.first?.metadata.contains(#""ip":"203.0.113.7""#) == true)
        #expect(events.allSatisfy { !$0.metadata.contains(code) && !$0.metadata.contains("access-1001") })
        let user = try harness.database.read { db in
            try UserStore(clock: harness.clock).find(hhUserID: "1001", in: db)
        }
        #expect(user?.fullName == "Иван Сергеевич Петров")
        #expect(user?.email == "ivan@example.com")
    }

    @Test func allowListedClientRedirectGetsTheCodeInTheURL() throws {
        let state = try harness.login(redirect: GatewayHarness.clientRedirect)
        let response = harness.callback(state: state, code: "code-1001")
        #expect(response.status == 302)
        let location = try #require(response.header("Location"))
        #expect(location.hasPrefix(GatewayHarness.clientRedirect + "?exchange_code="))
        let code = try #require(GatewayHarness.query(of: location)["exchange_code"])
        let exchanged = harness.send("POST", "/auth/exchange", json: #"{"exchange_code":"\#(code)"}"#)
        #expect(exchanged.status == 200)
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

    @Test func healthReportsHealthy() {
        let response = harness.send("GET", "/health")
        #expect(response.status == 200)
        #expect(response.json["status"] as? String == "healthy")
        #expect(response.json["timestamp"] as? String == GatewayHarness.rfc3339(harness.clock.now()))
    }
}
