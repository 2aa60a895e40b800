import Foundation
import Testing

/// Issue 3: the session API through nginx — refresh rules, single flight, logout, crashes.
@Suite("Session API through nginx")
struct SessionTests {
    private func accessToken(_ stack: TestStack, _ session: String, path: String = "/auth/token") throws -> WireResponse
    {
        try stack.http.post(path, json: ["session_id": session])
    }

    /// Signs in while the stand-in issues 1-second tokens, then lets that second pass: the stored
    /// token is then expired for both HH and the service. Tokens issued afterwards live 14 days.
    private func sessionWithExpiredToken(_ stack: TestStack) throws -> String {
        try stack.hh.configure(["token_lifetime_seconds": 1])
        let session = try BrowserLogin(stack: stack).session()
        let issued = Date()
        try stack.hh.configure(["token_lifetime_seconds": 1_209_600])
        // HH's expiry is a point in time; waiting for it is the behaviour under test, not synchronisation.
        while Date().timeIntervalSince(issued) < 1.1 { usleep(20_000) }
        return session
    }

    @Test func expiredTokenIsRefreshedAutomatically() throws {
        let stack = try TestStack()
        try stack.hh.configure(["token_lifetime_seconds": 1])
        let session = try BrowserLogin(stack: stack).session()
        let first = try #require(try accessToken(stack, session).json()["access_token"] as? String)
        try stack.hh.configure(["token_lifetime_seconds": 1_209_600])
        let issued = Date()
        while Date().timeIntervalSince(issued) < 1.1 { usleep(20_000) }
        let second = try accessToken(stack, session)
        #expect(second.status == 200)
        let refreshed = try #require(try second.json()["access_token"] as? String)
        #expect(refreshed != first)
        #expect(try stack.hh.stats()["refresh_grants"] == 1)
        // The new token is still valid: no further refresh.
        #expect(try accessToken(stack, session).json()["access_token"] as? String == refreshed)
        #expect(try stack.hh.stats()["refresh_grants"] == 1)
    }

    @Test func forcedRefreshOfAValidTokenReturnsItBecauseHHSaysNotExpired() throws {
        let stack = try TestStack()
        let session = try BrowserLogin(stack: stack).session()
        let current = try #require(try accessToken(stack, session).json()["access_token"] as? String)
        let forced = try accessToken(stack, session, path: "/auth/refresh")
        #expect(forced.status == 200)
        #expect(try forced.json()["access_token"] as? String == current)
        #expect(try stack.hh.stats()["refresh_grants"] == 0)

        // A second sign-in of the same user replaces the shared HH token with an expired one.
        let expired = try sessionWithExpiredToken(stack)
        let refreshed = try #require(
            try accessToken(stack, expired, path: "/auth/refresh").json()["access_token"] as? String)
        #expect(refreshed != current)
        #expect(try stack.hh.stats()["refresh_grants"] == 1)
        let renewed = try accessToken(stack, session, path: "/auth/refresh")
        #expect(renewed.status == 200)
        #expect(try renewed.json()["access_token"] as? String == refreshed)
    }

    @Test func thirtyTwoConcurrentCallsOnAnExpiredTokenRefreshOnce() throws {
        let stack = try TestStack(.init(workerThreads: 40))
        let session = try sessionWithExpiredToken(stack)
        let results = ConcurrentResults(count: 32)
        DispatchQueue.concurrentPerform(iterations: 32) { index in
            results.set(index, try? stack.http.post("/auth/token", json: ["session_id": session]))
        }
        let responses = results.all
        #expect(responses.allSatisfy { $0?.status == 200 })
        let tokens = Set(responses.compactMap { try? $0?.json()["access_token"] as? String })
        #expect(tokens.count == 1)
        #expect(try stack.hh.stats()["refresh_grants"] == 1)
    }

    @Test func revokedRefreshTokenEndsTheSession() throws {
        let stack = try TestStack()
        let session = try sessionWithExpiredToken(stack)
        try stack.hh.deactivate(userID: TestStack.defaultUserID)
        let refused = try accessToken(stack, session)
        #expect(refused.status == 401)
        #expect(refused.detail == "Session expired, please log in again")
        let after = try accessToken(stack, session)
        #expect(after.status == 401)
        #expect(after.detail == "Invalid session")
    }

    @Test func hhDownOrHangingDuringRefreshGives502AndKeepsTheSession() throws {
        let stack = try TestStack(.init(environment: ["HH_TIMEOUT_SECONDS": "2"]))
        let session = try sessionWithExpiredToken(stack)
        try stack.hh.fail("token", mode: "500")
        let down = try accessToken(stack, session)
        #expect(down.status == 502)
        #expect(down.detail == "HeadHunter is unavailable, try again later")

        try stack.hh.fail("token", mode: "hang", hangSeconds: 10)
        let started = Date()
        let hanging = try accessToken(stack, session)
        #expect(hanging.status == 502)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try stack.http.get("/health").status == 200)

        try stack.hh.fail("token", mode: "none")
        #expect(try accessToken(stack, session).status == 200)
    }

    // What logout answers, and that only that session ends, is a contract scenario.
    @Test func logoutRevokesThePairWithTheUsersLastSession() throws {
        let stack = try TestStack()
        let login = BrowserLogin(stack: stack)
        let first = try login.session()
        let second = try login.session()
        // The second sign-in replaced the user's pair: the janitor revokes the first one at once.
        #expect(try eventually { try stack.hh.stats()["revoke"] == 1 })
        #expect(try stack.http.post("/auth/logout", json: ["session_id": first]).status == 200)
        #expect(try accessToken(stack, second).status == 200)
        #expect(try stack.hh.stats()["revoke"] == 1)

        #expect(try stack.http.post("/auth/logout", json: ["session_id": second]).status == 200)
        #expect(try eventually { try stack.hh.stats()["revoke"] == 2 })
    }

    @Test func expiredExchangeCodeIsRefused() throws {
        let stack = try TestStack(.init(environment: ["EXCHANGE_CODE_EXPIRE_MINUTES": "0.02"]))
        let code = try #require(try BrowserLogin(stack: stack).run().exchangeCode)
        let deadline = Date().addingTimeInterval(1.3)
        while Date() < deadline { usleep(50_000) }
        let late = try stack.http.post("/auth/exchange", json: ["exchange_code": code])
        #expect(late.status == 400)
        #expect(late.detail == "Invalid or expired exchange code")
    }

    @Test func sessionSurvivesKill9RightAfterExchange() throws {
        let stack = try TestStack()
        let session = try BrowserLogin(stack: stack).session()
        stack.service?.signal(SIGKILL)
        _ = stack.service?.waitForExit(seconds: 5)
        try stack.restartService()
        let token = try accessToken(stack, session)
        #expect(token.status == 200)
        #expect(try stack.http.get("/users/me?session_id=\(session)").status == 200)
    }
}

/// Results written from many threads.
final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [WireResponse?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: WireResponse?) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }

    var all: [WireResponse?] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
