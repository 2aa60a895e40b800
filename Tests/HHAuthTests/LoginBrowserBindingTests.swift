import ContractScenarios
import Crypto
import FastCGI
import Foundation
import GRDB
import HTTPCore
import Prometheus
import Testing

@testable import HHAuth

/// Issue 11: every OAuth state is bound to the browser that started the sign-in by a pre-auth
/// cookie (login CSRF, RFC 9700 §4.7), through the whole gateway in process.
@Suite("Gateway: login bound to the browser")
struct LoginBrowserBindingTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness()
    }

    static let mismatch = "This sign-in was not started in this browser (or its cookie is gone), please log in again"

    private var exposition: String { String(decoding: harness.gateway.metrics.exposition(), as: UTF8.self) }

    private func usedStates() throws -> Int {
        try harness.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM oauth_states") ?? 0 }
    }

    private func callbackURI(_ state: String, code: String = "code-1001") -> String {
        "/auth/callback?code=\(code)&state=\(QueryParameters.encode(state))"
    }

    /// The pre-auth cookie's name for a state: what `/auth/login` set beside it.
    private func cookieName(for state: String, https: Bool = false) throws -> String {
        (https ? "__Host-" : "") + "hh_auth_login_" + (try #require(LoginStateStore.flowID(of: state)))
    }

    @Test func callbackWithoutTheCookieIsRefusedAndLeavesTheStateToTheRightBrowser() throws {
        let state = try harness.login()
        for accept in ["application/json", "text/html"] {
            let replayed = harness.callback(
                state: state, code: "code-1001", headers: ["Accept": accept], browser: CookieJar())
            #expect(replayed.status == 400)
            if accept == "text/html" {
                #expect(replayed.header("Content-Type") == "text/html; charset=utf-8")
                #expect(replayed.text.contains(Self.mismatch))
            } else {
                #expect(replayed.detail == Self.mismatch)
            }
            #expect(replayed.setCookies.isEmpty, "nothing to delete in a browser that sent no cookie")
        }
        #expect(harness.hh.transport.requests.isEmpty)
        #expect(try usedStates() == 0)
        #expect(exposition.contains(#"login_failures_total{reason="browser_mismatch"} 2"#))
        let failure = try #require(try harness.auditEvents().last)
        #expect(failure.type == "login_failed" && failure.metadata.contains(#""reason":"browser_mismatch""#))

        // The browser that started it still signs in with it.
        let page = harness.callback(state: state, code: "code-1001")
        #expect(page.status == 200)
        #expect(GatewayHarness.exchangeCode(inPage: page.text) != nil)
    }

    @Test func callbackFromAnotherBrowserWithItsOwnCookieIsRefused() throws {
        let attacker = CookieJar()
        let attackersState = try harness.login(browser: attacker)
        _ = try harness.login()  // the victim's own sign-in under way: a cookie of another flow
        let planted = harness.callback(state: attackersState, code: "code-2002")
        #expect(planted.status == 400)
        #expect(planted.detail == Self.mismatch)
        #expect(harness.hh.transport.requests.isEmpty)
    }

    /// The cookie of the state's flow with another value (another browser's, or one altered by a
    /// character) does not hash to what the state carries.
    @Test func aForgedCookieAndStatePairIsRefused() throws {
        let other = CookieJar()
        let othersState = try harness.login(browser: other)
        let othersValue = try #require(other.value(try cookieName(for: othersState)))
        let state = try harness.login()
        let name = try cookieName(for: state)
        let genuine = try #require(harness.browser.value(name))
        var altered = Array(genuine.utf8)
        altered[0] = altered[0] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        for value in [othersValue, String(decoding: altered, as: UTF8.self), genuine + ".eA", ""] {
            let response = harness.send("GET", callbackURI(state), headers: ["Cookie": "\(name)=\(value)"])
            #expect(response.status == 400, "\(value)")
            #expect(response.detail == Self.mismatch, "\(value)")
        }
        #expect(harness.hh.transport.requests.isEmpty)
        #expect(harness.send("GET", callbackURI(state), headers: ["Cookie": "\(name)=\(genuine)"]).status == 200)
    }

    @Test func twoSignInsOfOneBrowserAtOnceBothComplete() throws {
        let first = try harness.login()
        let second = try harness.login(redirect: GatewayHarness.clientRedirect)
        #expect(try cookieName(for: first) != cookieName(for: second))
        #expect(harness.browser.live().count == 2)
        let redirected = harness.callback(state: second, code: "code-3003")
        #expect(redirected.status == 302)
        #expect(redirected.header("Location")?.hasPrefix(GatewayHarness.clientRedirect + "?exchange_code=") == true)
        #expect(harness.callback(state: first, code: "code-1001").status == 200)
        #expect(harness.browser.live().isEmpty)
    }

    @Test func cookieAttributesOverHTTPAndHTTPS() throws {
        let plain = harness.send("GET", "/auth/login", browser: CookieJar())
        let plainState = try #require(GatewayHarness.query(of: plain.header("Location") ?? "")["state"])
        let plainCookie = try #require(plain.setCookies.first)
        #expect(plain.setCookies.count == 1)
        let plainValue = try #require(CookieJar.parse(plainCookie)?.value)
        #expect(plainValue.count >= 22)  // 128 bits of base64url
        #expect(
            plainCookie
                == "\(try cookieName(for: plainState))=\(plainValue); Path=/; Max-Age=600; HttpOnly; SameSite=Lax")

        let secure = harness.send("GET", "/auth/login", browser: CookieJar(), extra: ["HTTPS": "on"])
        let secureState = try #require(GatewayHarness.query(of: secure.header("Location") ?? "")["state"])
        let secureCookie = try #require(secure.setCookies.first)
        let secureValue = try #require(CookieJar.parse(secureCookie)?.value)
        #expect(
            secureCookie
                == "\(try cookieName(for: secureState, https: true))=\(secureValue); Path=/; Max-Age=600; Secure; HttpOnly; SameSite=Lax"
        )
    }

    /// Over HTTPS only the `__Host-` name counts: a plain-named cookie could have been planted over
    /// HTTP or by a sibling domain.
    @Test func overHTTPSOnlyTheHostPrefixedCookieIsRead() throws {
        let browser = CookieJar()
        let state = try #require(
            GatewayHarness.query(
                of: harness.send("GET", "/auth/login", browser: browser, extra: ["HTTPS": "on"]).header("Location")
                    ?? "")["state"])
        let value = try #require(browser.value(try cookieName(for: state, https: true)))
        let planted = harness.send(
            "GET", callbackURI(state), headers: ["Cookie": "\(try cookieName(for: state))=\(value)"],
            extra: ["HTTPS": "on"])
        #expect(planted.status == 400)
        #expect(planted.detail == Self.mismatch)
        let genuine = harness.send("GET", callbackURI(state), browser: browser, extra: ["HTTPS": "on"])
        #expect(genuine.status == 200)
        #expect(
            genuine.setCookies == [
                "\(try cookieName(for: state, https: true))=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"
            ])
    }

    /// The callback deletes the flow's cookie on the answer that ends the flow, success or failure.
    @Test func theCallbackDeletesThePreAuthCookie() throws {
        let state = try harness.login()
        let name = try cookieName(for: state)
        let signedIn = harness.callback(state: state, code: "code-1001")
        #expect(signedIn.status == 200)
        #expect(signedIn.setCookies == ["\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"])
        #expect(harness.browser.value(name) == nil)

        for (uri, status) in [
            ("/auth/callback?error=access_denied&state=", 400), ("/auth/callback?code=code-2002&state=", 403),
        ] {
            let failed = try harness.login()
            let response = harness.send("GET", uri + QueryParameters.encode(failed), headers: ["Accept": "text/html"])
            #expect(response.status == status, "\(uri)")
            #expect(
                response.setCookies == ["\(try cookieName(for: failed))=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"])
        }
        #expect(harness.browser.live().isEmpty)
    }

    /// An answer that invites the browser to present the same callback again (429, with
    /// `Retry-After`) leaves the state unused and its cookie in place, so the retry signs in.
    @Test func aCallbackToldToRetryKeepsItsCookieForTheRetry() throws {
        let harness = try GatewayHarness { $0.signInsPerClientPerMinute = 5 }
        for _ in 0..<5 {
            #expect(harness.callback(state: try harness.login(), code: "x").status == 400)
        }
        let state = try harness.login()
        let refused = harness.callback(state: state, code: "code-1001")
        #expect(refused.status == 429)
        #expect(refused.setCookies.isEmpty)
        harness.clock.advance(seconds: 60)
        #expect(harness.callback(state: state, code: "code-1001").status == 200)
    }

    /// States of the format before the browser binding (version 1) are refused like forged ones.
    @Test func aStateOfTheOldFormatIsRefused() throws {
        let macKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: Fixtures.key().key, info: Data("hh-auth oauth state MAC v1".utf8), outputByteCount: 32)
        let expiry = UInt64((harness.clock.now().timeIntervalSince1970 + 600) * 1000)
        var body = Data([1]) + Data((0..<16).map { _ in UInt8.random(in: 0...255) })
        body += withUnsafeBytes(of: expiry.bigEndian) { Data($0) }
        body += Data([0xFF, 0xFF]) + Data(count: 8)
        let tag = Data(HMAC<SHA256>.authenticationCode(for: body, using: macKey)).prefix(16)
        let old = SecretToken.base64URL(body + tag)
        #expect(old.count == 68)
        let response = harness.callback(state: old, code: "code-1001")
        #expect(response.status == 400)
        #expect(response.detail == "Invalid or expired state parameter")
        #expect(harness.hh.transport.requests.isEmpty)
    }

    /// The plumbing for a return-to target: the cookie carries it, bound by the state's digest,
    /// and the completed sign-in hands it back; a login without one hands back none.
    @Test func aReturnToTravelsInTheCookieAndComesBackWithTheSignIn() throws {
        let flow = harness.gateway.services.loginFlow(
            client: HHClient(settings: Fixtures.headHunter(), transport: harness.hh.transport, clock: harness.clock),
            admission: CodeExchangeAdmission(perClientPerMinute: 30, maxInFlight: 4),
            metrics: LoginMetrics(registry: PrometheusCollectorRegistry()), logger: Fixtures.logger)
        let origin = ClientOrigin(clientAddress: "203.0.113.7", userAgent: "UnitTest/1.0")
        for returnTo in ["/dashboard/?q=1&x=ü", nil] {
            let start = try flow.authorizeURL(redirectURI: nil, returnTo: returnTo)
            let state = try #require(GatewayHarness.query(of: start.authorizeURL)["state"])
            #expect(start.binding.flowID == LoginStateStore.flowID(of: state))
            #expect(start.cookieMaxAgeSeconds == 600)
            let signedIn = try flow.complete(
                .init(state: state, code: "code-1001", error: nil, loginCookie: start.binding.cookieValue), from: origin
            )
            #expect(signedIn.returnTo == returnTo)
        }
    }
}
