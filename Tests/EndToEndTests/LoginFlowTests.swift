import Foundation
import Testing

/// Issue 3: the browser flow through nginx against the HH stand-in, where it depends on timing,
/// faults or the stand-in (the contract's own rules are ContractScenarios, run by ContractThroughNginxTests).
@Suite("Login flow through nginx")
struct LoginFlowTests {
    // A used, forged or missing state is a contract scenario (ContractThroughNginxTests).
    @Test func stateExpiresAfterTheConfiguredMinutes() throws {
        let stack = try TestStack(.init(environment: ["OAUTH_STATE_EXPIRE_MINUTES": "0.02"]))
        let login = try stack.http.get("/auth/login")
        let authorize = try #require(login.headers["location"])
        let approval = try RawHTTPClient(port: stack.standInPort).get(
            try BrowserLogin.target(of: authorize, expectingPort: stack.standInPort))
        let callback = try BrowserLogin.target(
            of: try #require(approval.headers["location"]), expectingPort: stack.httpPort)

        // 0.02 minutes = 1.2 s: this state has expired by the time we present it.
        let deadline = Date().addingTimeInterval(1.3)
        while Date() < deadline { usleep(50_000) }
        let late = try stack.http.get(callback)
        #expect(late.status == 400)
        #expect(late.detail == "Invalid or expired state parameter")
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
