import Foundation
import Testing

/// Issue 3: the browser flow through nginx against the HH stand-in.
@Suite("Login flow through nginx")
struct LoginFlowTests {
    @Test func wholeBrowserFlowShowsAnExchangeCodeThatBuysASession() throws {
        let stack = try TestStack()
        let outcome = try BrowserLogin(stack: stack).run()
        #expect(outcome.callback.status == 200)
        #expect(outcome.callback.headers["cache-control"] == "no-store")
        #expect(outcome.callback.headers["referrer-policy"] == "no-referrer")
        #expect(outcome.callback.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        let code = try #require(outcome.exchangeCode)
        #expect(code.count >= 22)

        let exchange = try stack.http.post("/auth/exchange", json: ["exchange_code": code])
        #expect(exchange.status == 200)
        let sessionID = try #require(try exchange.json()["session_id"] as? String)
        #expect(sessionID.count >= 43)
        #expect((try exchange.json()["expires_at"] as? String)?.hasSuffix("Z") == true)

        let reuse = try stack.http.post("/auth/exchange", json: ["exchange_code": code])
        #expect(reuse.status == 400)
        #expect(reuse.detail == "Invalid or expired exchange code")

        let me = try stack.http.get("/users/me?session_id=\(sessionID)")
        #expect(me.status == 200)
        let user = try me.json()
        #expect(user["hh_user_id"] as? String == TestStack.defaultUserID)
        #expect(user["full_name"] as? String == "Иван Сергеевич Петров")
        #expect(user["email"] as? String == "ivan.petrov@example.com")
        #expect(user["is_active"] as? Bool == true)
        for key in ["id", "created_at", "updated_at"] { #expect(user[key] != nil) }

        let token = try stack.http.post("/auth/token", json: ["session_id": sessionID])
        #expect(token.status == 200)
        #expect(try token.json()["token_type"] as? String == "Bearer")
        #expect((try token.json()["access_token"] as? String)?.isEmpty == false)

        let viaBearer = try stack.http.send(
            method: "POST", target: "/auth/token", headers: ["Authorization": "Bearer \(sessionID)"], body: nil)
        #expect(viaBearer.status == 200)
        #expect(try viaBearer.json()["access_token"] as? String == token.json()["access_token"] as? String)
    }

    @Test func stateCannotBeReusedForgedOrLate() throws {
        let stack = try TestStack(.init(environment: ["OAUTH_STATE_EXPIRE_MINUTES": "0.02"]))
        let login = try stack.http.get("/auth/login")
        let authorize = try #require(login.headers["location"])
        let approval = try RawHTTPClient(port: stack.standInPort).get(
            try BrowserLogin.target(of: authorize, expectingPort: stack.standInPort))
        let callback = try BrowserLogin.target(
            of: try #require(approval.headers["location"]), expectingPort: stack.httpPort)

        let unknown = try stack.http.get("/auth/callback?code=abc&state=forged-state-value")
        #expect(unknown.status == 400)
        #expect(unknown.detail == "Invalid or expired state parameter")

        // 0.02 minutes = 1.2 s: this state has expired by the time we present it.
        let deadline = Date().addingTimeInterval(1.3)
        while Date() < deadline { usleep(50_000) }
        let late = try stack.http.get(callback)
        #expect(late.status == 400)
        #expect(late.detail == "Invalid or expired state parameter")
    }

    @Test func usedStateIsRefusedTheSecondTime() throws {
        let stack = try TestStack()
        let login = try stack.http.get("/auth/login")
        let authorize = try #require(login.headers["location"])
        let approval = try RawHTTPClient(port: stack.standInPort).get(
            try BrowserLogin.target(of: authorize, expectingPort: stack.standInPort))
        let callback = try BrowserLogin.target(
            of: try #require(approval.headers["location"]), expectingPort: stack.httpPort)
        #expect(try stack.http.get(callback).status == 200)
        let again = try stack.http.get(callback)
        #expect(again.status == 400)
        #expect(again.detail == "Invalid or expired state parameter")
    }

    @Test func deniedAuthorization() throws {
        let stack = try TestStack()
        let outcome = try BrowserLogin(stack: stack).run(authorizeExtras: "&deny=1", accept: "application/json")
        #expect(outcome.callback.status == 400)
        #expect(outcome.callback.detail == "Authorization was denied")
    }

    @Test func userOffTheWhitelistIsForbidden() throws {
        let stack = try TestStack()
        try stack.hh.addUser(id: "555", firstName: "Пётр", lastName: "Сидоров", email: "p@example.com")
        let outcome = try BrowserLogin(stack: stack).run(authorizeExtras: "&as_user=555", accept: "application/json")
        #expect(outcome.callback.status == 403)
        #expect(outcome.callback.detail == "User 555 is not allowed to access this service")
        let page = try BrowserLogin(stack: stack).run(authorizeExtras: "&as_user=555")
        #expect(page.callback.status == 403)
        #expect(page.callback.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.exchangeCode == nil)
    }

    @Test func clientRedirectMustBeOnTheAllowList() throws {
        let allowed = "https://app.example.com/after-login"
        let stack = try TestStack(.init(environment: ["CLIENT_REDIRECT_URIS": allowed]))
        let encoded = allowed.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let outcome = try BrowserLogin(stack: stack).run(loginQuery: "?redirect_uri=\(encoded)")
        #expect(outcome.callback.status == 302)
        let location = try #require(outcome.callback.headers["location"])
        #expect(location.hasPrefix(allowed + "?exchange_code="))

        for bad in [allowed + "x", "https://evil.example.com/", allowed + "/../evil", "//evil.example.com"] {
            let response = try stack.http.get(
                "/auth/login?redirect_uri=" + bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(response.status == 400, "\(bad)")
            #expect(response.headers["location"] == nil)
        }
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
