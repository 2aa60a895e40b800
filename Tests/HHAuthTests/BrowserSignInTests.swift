import ContractScenarios
import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// `/auth/login?rd=`: a browser signs in and comes back to `rd` with a session cookie, which
/// `/auth/verify` then admits.
@Suite("Browser sign-in with rd")
struct BrowserSignInTests {
    /// A whole browser sign-in for `hhID` from `browser`, returning the callback's answer.
    static func signIn(
        _ harness: GatewayHarness, hhID: String = "1001", rd: String = "/demo/?tab=1", browser: CookieJar
    ) throws -> FastCGIResponse {
        let start = harness.send("GET", "/auth/login?rd=" + QueryParameters.encode(rd), browser: browser)
        try #require(start.status == 302)
        let location = try #require(start.header("Location"))
        let state = try #require(GatewayHarness.query(of: location)["state"])
        return harness.callback(state: state, code: "code-\(hhID)", browser: browser)
    }

    @Test func aBrowserComesBackToRdWithASessionCookieThatVerifyAdmits() throws {
        let harness = try GatewayHarness()
        let browser = CookieJar()
        let back = try Self.signIn(harness, browser: browser)
        #expect(back.status == 302)
        #expect(back.header("Location") == "https://auth.example.com/demo/?tab=1")
        let cookies = back.setCookies
        let session = try #require(cookies.first { $0.hasPrefix("hh_auth_session=") })
        #expect(session.contains("; Path=/; Max-Age=\(720 * 3600); HttpOnly; SameSite=Lax"))
        #expect(cookies.contains { $0.hasPrefix("hh_auth_login_") && $0.contains("Max-Age=0") })
        let sessionID = try #require(browser.value("hh_auth_session"))
        let verify = harness.send(
            "GET", "/auth/verify", browser: browser,
            extra: ["HH_AUTH_ORIGINAL_METHOD": "GET", "HH_AUTH_ORIGINAL_URI": "/demo/"])
        #expect(verify.status == 200 && verify.header("X-Auth-Request-User") == "1001")
        let row = try harness.database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT kind, expires_at - created_at AS lifetime FROM sessions WHERE id_hash = ?",
                arguments: [SecretToken.hash(sessionID)])
        }
        #expect(row?["kind"] as String? == "browser")
        #expect(row?["lifetime"] as Double? == Double(720 * 3600))
        // Audited as a session of its own kind; no exchange code was issued.
        let events = try harness.auditEvents()
        #expect(events.contains { $0.type == "session_created" && $0.metadata.contains("\"kind\":\"browser\"") })
        let codes = try harness.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM exchange_codes") }
        #expect(codes == 0)
    }

    @Test func theCookieLifetimeSettingAppliesAndHTTPSGetsTheHostPrefix() throws {
        let harness = try GatewayHarness { $0.browserSessions.lifetimeSeconds = 3600 }
        let browser = CookieJar()
        let start = harness.send("GET", "/auth/login?rd=%2Fdemo%2F", browser: browser, extra: ["HTTPS": "on"])
        let location = try #require(start.header("Location"))
        let state = try #require(GatewayHarness.query(of: location)["state"])
        let back = harness.send(
            "GET", "/auth/callback?code=code-1001&state=" + QueryParameters.encode(state), browser: browser,
            extra: ["HTTPS": "on"])
        #expect(back.status == 302)
        let session = try #require(back.setCookies.first { $0.hasPrefix("__Host-hh_auth_session=") })
        #expect(session.hasSuffix("; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"))
    }

    @Test func aSessionCookieTheBrowserBroughtIsNeverReused() throws {
        let harness = try GatewayHarness()
        let browser = CookieJar()
        browser.receive(["hh_auth_session=" + String(repeating: "A", count: 43) + "; Path=/"])
        _ = try Self.signIn(harness, browser: browser)
        #expect(browser.value("hh_auth_session") != String(repeating: "A", count: 43))
        #expect(browser.value("hh_auth_session")?.count == 43)
    }

    @Test func withoutRdTheExchangeCodePageStaysAsItWas() throws {
        let harness = try GatewayHarness()
        let page = harness.callback(state: try harness.login(), code: "code-1001")
        #expect(page.status == 200 && GatewayHarness.exchangeCode(inPage: page.text) != nil)
        #expect(!page.setCookies.contains { $0.contains("hh_auth_session") })
    }

    @Test(arguments: ["//evil.com", "/%09/evil.com", "https://evil.com/", "javascript:alert(1)", ""])
    func aHostileRdIsRefusedBeforeHH(_ rd: String) throws {
        let harness = try GatewayHarness()
        let refused = harness.send(
            "GET", "/auth/login?rd=" + QueryParameters.encode(rd), headers: ["Accept": "text/html"])
        #expect(refused.status == 400)
        #expect(refused.header("Location") == nil && refused.setCookies.isEmpty)
        #expect(refused.text.contains("<html"), "a browser gets a page")
    }

    @Test func rdAndRedirectURITogetherAreRefused() throws {
        let harness = try GatewayHarness()
        let both = harness.send(
            "GET", "/auth/login?rd=%2Fdemo%2F&redirect_uri=" + QueryParameters.encode(GatewayHarness.clientRedirect))
        #expect(both.status == 400)
        #expect(both.json["detail"] as? String == "Use either rd or redirect_uri, not both")
    }

    @Test func anAllowListedHostIsAValidTarget() throws {
        let harness = try GatewayHarness { $0.allowedRedirectHosts = [.subdomains(of: "example.com")] }
        let back = try Self.signIn(harness, rd: "https://grafana.example.com/d/x", browser: CookieJar())
        #expect(back.header("Location") == "https://grafana.example.com/d/x")
    }
}

extension BrowserSignInTests {
    /// nginx forwards the cookie to the protected app: what the app can read must not buy the
    /// user's HH token at the program routes. Only verify hands it out, and only when asked to.
    @Test func aBrowserSessionIdBuysNoTokenAtTheProgramRoutes() throws {
        let harness = try GatewayHarness { $0.browserSessions.passAccessToken = true }
        let browser = CookieJar()
        _ = try Self.signIn(harness, browser: browser)
        let sessionID = try #require(browser.value("hh_auth_session"))
        let bearer = ["Authorization": "Bearer " + sessionID]
        #expect(harness.send("POST", "/auth/token", headers: bearer, browser: CookieJar()).status == 401)
        #expect(harness.send("POST", "/auth/refresh", headers: bearer, browser: CookieJar()).status == 401)
        #expect(harness.send("GET", "/users/me", headers: bearer, browser: CookieJar()).status == 401)
        let verify = harness.send(
            "GET", "/auth/verify", browser: browser,
            extra: ["HH_AUTH_ORIGINAL_METHOD": "GET", "HH_AUTH_ORIGINAL_URI": "/demo/"])
        #expect(verify.header("X-Auth-Request-Access-Token")?.hasPrefix("access-1001-") == true)
    }

    @Test func aCompletedSignInDeletesThePreAuthCookiesOfAbandonedOnes() throws {
        let harness = try GatewayHarness()
        let browser = CookieJar()
        for _ in 0..<3 { _ = harness.send("GET", "/auth/login?rd=%2Fabandoned%2F", browser: browser) }
        #expect(browser.live().filter { $0.name.hasPrefix("hh_auth_login_") }.count == 3)
        _ = try Self.signIn(harness, browser: browser)
        #expect(browser.live().filter { $0.name.hasPrefix("hh_auth_login_") }.isEmpty)
    }

    /// A long return target is kept without its query in the pre-auth cookie, so a few abandoned
    /// sign-ins cannot fill the browser's Cookie header.
    @Test func theReturnTargetInTheCookieIsBounded() throws {
        let harness = try GatewayHarness()
        let browser = CookieJar()
        let back = try Self.signIn(harness, rd: "/report/?q=" + String(repeating: "x", count: 1500), browser: browser)
        #expect(back.header("Location") == "https://auth.example.com/report/")
        #expect(
            LoginHandlers.bounded(
                "https://a.example/" + String(repeating: "p", count: 1100), site: harness.gateway.returnTargets.site)
                == "https://auth.example.com/")
    }
}
