import Foundation
import Testing

/// Issue 3: the browser flow through nginx against the HH stand-in, where it depends on timing,
/// faults or the stand-in (the contract's own rules are ContractScenarios, run by ContractThroughNginxTests).
@Suite("Login flow through nginx")
struct LoginFlowTests {
    // A used, forged or missing state is a contract scenario (ContractThroughNginxTests).
    @Test func stateExpiresAfterTheConfiguredMinutes() throws {
        let stack = try TestStack(.init(environment: ["OAUTH_STATE_EXPIRE_MINUTES": "0.02"]))
        let login = BrowserLogin(stack: stack)
        let callback = try login.pendingCallback()

        // 0.02 minutes = 1.2 s: this state has expired by the time we present it.
        let deadline = Date().addingTimeInterval(1.3)
        while Date() < deadline { usleep(50_000) }
        let late = try login.browser.get(callback)
        #expect(late.status == 400)
        #expect(late.detail == "Invalid or expired state parameter")
    }

    static let browserMismatch =
        "This sign-in was not started in this browser (or its cookie is gone), please log in again"

    /// Login CSRF (RFC 9700 §4.7): a callback URL replayed in another browser, one without the
    /// pre-auth cookie, is refused (JSON or page, per `Accept`) without using the state up; the
    /// browser that started the sign-in then completes it, and its cookie is deleted.
    @Test func aCallbackReplayedInAnotherBrowserIsRefusedAndTheRightBrowserStillSignsIn() throws {
        let stack = try TestStack()
        let login = BrowserLogin(stack: stack)
        let callback = try login.pendingCallback()
        let cookie = try #require(login.browser.cookies?.live().first)
        #expect(cookie.name.hasPrefix("hh_auth_login_") && !cookie.secure)

        let otherBrowser = stack.browser()
        let json = try otherBrowser.get(callback, headers: ["Accept": "application/json"])
        #expect(json.status == 400)
        #expect(json.headers["content-type"]?.hasPrefix("application/json") == true)
        #expect(json.detail == Self.browserMismatch)
        let page = try otherBrowser.get(callback, headers: ["Accept": "text/html"])
        #expect(page.status == 400)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.text.contains(Self.browserMismatch))
        #expect(try stack.hh.stats()["code_grants"] == 0)

        let signedIn = try login.browser.get(callback, headers: ["Accept": "text/html"])
        #expect(signedIn.status == 200)
        #expect(BrowserLogin.exchangeCode(in: signedIn.text) != nil)
        #expect(signedIn.setCookies == ["\(cookie.name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"])
        #expect(login.browser.cookies?.live().isEmpty == true)
    }

    /// Over the HTTPS port the pre-auth cookie is `__Host-` prefixed and `Secure`, and a script
    /// that keeps cookies (curl `-c`/`-b`) follows the flow; one that does not is refused.
    @Test func overHTTPSThePreAuthCookieIsHostPrefixedAndACookieJarFollowsTheFlow() throws {
        let stack = try TestStack()
        let jar = stack.directory + "/curl-cookies.txt"
        let base = "https://127.0.0.1:\(stack.httpsPort)"
        func curl(_ target: String, keepingCookies: Bool) throws -> WireResponse {
            let arguments =
                ["-sk", "-i", "--http1.1", "-H", "Accept: text/html"] + (keepingCookies ? ["-c", jar, "-b", jar] : [])
                + [base + target]
            let result = try runCommand("/usr/bin/curl", arguments)
            guard result.status == 0 else { throw HarnessError("curl \(target): \(result.output)") }
            return try RawHTTPClient.parse(Array(result.output.utf8))
        }
        let login = try curl("/auth/login", keepingCookies: true)
        #expect(login.status == 302)
        #expect(login.setCookies.count == 1)
        let setCookie = try #require(login.setCookies.first)
        #expect(setCookie.hasPrefix("__Host-hh_auth_login_"))
        #expect(setCookie.hasSuffix("; Path=/; Max-Age=600; Secure; HttpOnly; SameSite=Lax"))
        #expect(!setCookie.contains("Domain="))

        let authorize = try BrowserLogin.target(
            of: try #require(login.headers["location"]), expectingPort: stack.standInPort)
        let approval = try RawHTTPClient(port: stack.standInPort).get(authorize)
        // The stand-in sends the browser to the configured (plain HTTP) callback; this browser
        // talks HTTPS, so the same target goes to the HTTPS port.
        let callback = try BrowserLogin.target(
            of: try #require(approval.headers["location"]), expectingPort: stack.httpPort)
        let withoutCookies = try curl(callback, keepingCookies: false)
        #expect(withoutCookies.status == 400)
        #expect(withoutCookies.text.contains(Self.browserMismatch))
        let signedIn = try curl(callback, keepingCookies: true)
        #expect(signedIn.status == 200)
        #expect(BrowserLogin.exchangeCode(in: signedIn.text) != nil)
        #expect(signedIn.setCookies.first?.contains("; Max-Age=0; Secure;") == true)
    }

    @Test func hhDownOrHangingDuringCallbackGives502InTime() throws {
        let stack = try TestStack(.init(environment: ["HH_TIMEOUT_SECONDS": "2"]))
        try stack.hh.fail("token", mode: "500")
        let broken = try BrowserLogin(stack: stack).run(accept: "application/json")
        #expect(broken.callback.status == 502)
        #expect(broken.callback.detail == "HeadHunter is unavailable, try again later")

        try stack.hh.fail("token", mode: "hang", hangSeconds: 10)
        let started = Date()
        let hanging = try BrowserLogin(stack: stack).run(accept: "application/json")
        #expect(hanging.callback.status == 502)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try stack.http.get("/health").status == 200)
    }

    @Test func cyrillicNamesRoundTrip() throws {
        let stack = try TestStack(.init(environment: ["INITIAL_ALLOWED_USERS": "100000001,777"]))
        try stack.hh.addUser(
            id: "777", firstName: "Алёна", lastName: "Щукина-Юрьева", middleName: "Эдуардовна", email: "алёна@пример.рф"
        )
        let session = try BrowserLogin(stack: stack).session(asUser: "777")
        let me = try stack.http.get("/users/me", headers: ["Authorization": "Bearer \(session)"])
        #expect(try me.json()["full_name"] as? String == "Алёна Эдуардовна Щукина-Юрьева")
        #expect(try me.json()["email"] as? String == "алёна@пример.рф")
    }
}
