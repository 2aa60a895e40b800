import FastCGI
import Foundation
import GRDB
import Testing

@testable import HHAuth

/// The session API (`/auth/exchange`, `/auth/token`, `/auth/refresh`, `/auth/logout`, `/users/me`) in process.
@Suite("Gateway: session API")
struct GatewaySessionTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness()
    }

    private func exchange(_ code: String) -> FastCGIResponse {
        harness.send("POST", "/auth/exchange", json: #"{"exchange_code":"\#(code)"}"#)
    }

    private func token(_ sessionID: String, path: String = "/auth/token") -> FastCGIResponse {
        harness.send("POST", path, json: #"{"session_id":"\#(sessionID)"}"#)
    }

    @Test func exchangeCodeExpires() throws {
        let code = try harness.exchangeCode()
        harness.clock.advance(seconds: 5 * 60 + 1)
        let response = exchange(code)
        #expect(response.status == 400)
        #expect(response.detail == "Invalid or expired exchange code")
    }

    // Body or bearer, and the 401 for an unknown session, are a contract scenario.
    @Test func tokenIsHHsCurrentTokenWithItsExpiryWithoutACallToHH() throws {
        let sessionID = try harness.sessionID()
        let response = token(sessionID)
        #expect(response.status == 200)
        #expect(response.json["access_token"] as? String == "access-1001-1")
        #expect(
            response.json["expires_at"] as? String
                == GatewayHarness.rfc3339(harness.clock.now().addingTimeInterval(1_209_600)))
        #expect(harness.hh.transport.requests(to: Fixtures.tokenURL).count == 1)  // only the code exchange
    }

    @Test func expiredHHTokenIsRefreshedOnTheWay() throws {
        let sessionID = try harness.sessionID()
        harness.clock.advance(seconds: 1_209_600 + 1)
        let response = token(sessionID)
        #expect(response.status == 200)
        #expect(response.json["access_token"] as? String == "access-1001-2")
        let grants = harness.hh.transport.requests(to: Fixtures.tokenURL).map { FakeHH.form($0)["grant_type"] }
        #expect(grants == ["authorization_code", "refresh_token"])
        #expect(try harness.auditEvents().map(\.type).contains("token_refresh"))
    }

    // HH's `email` is nullable; the original service still sent `"email": null`, and clients index it.
    @Test func usersMeKeepsEveryKeyWhenHHGaveNoEmail() throws {
        let sessionID = try harness.sessionID(for: "3003")
        let response = harness.send("GET", "/users/me?session_id=\(sessionID)")
        #expect(response.status == 200)
        #expect(
            Set(response.json.keys) == [
                "id", "hh_user_id", "email", "full_name", "is_active", "created_at", "updated_at",
            ])
        #expect(response.json["email"] is NSNull)
        #expect(response.json["full_name"] as? String == "Анна Безпочты")
    }

    @Test func sessionExpiresAfter720Hours() throws {
        let sessionID = try harness.sessionID()
        harness.clock.advance(seconds: 720 * 3600 - 1)
        #expect(harness.send("GET", "/users/me?session_id=\(sessionID)").status == 200)
        harness.clock.advance(seconds: 1)
        let response = harness.send("GET", "/users/me?session_id=\(sessionID)")
        #expect(response.status == 401)
        #expect(response.detail == "Invalid session")
    }

    // What logout answers, and that the session is gone, is a contract scenario.
    @Test func logoutOfTheLastSessionDropsTheHHTokenAndAuditsNoSecret() throws {
        let sessionID = try harness.sessionID()
        let response = harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(sessionID)"}"#)
        #expect(response.status == 200)
        // The user's last session: the HH token goes with it.
        #expect(
            try harness.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM hh_tokens") } == 0)

        let events = try harness.auditEvents()
        #expect(events.map(\.type) == ["login", "session_created", "logout"])
        for event in events {
            #expect(!event.metadata.contains(sessionID))
            #expect(!event.metadata.contains("access-1001"))
            #expect(!event.metadata.contains("refresh-1001"))
        }
    }

    /// The opened-token cache sits behind the session check: a token handed out a moment ago is
    /// not handed out again once the session ended, however warm the cache.
    @Test func aTokenJustHandedOutIsRefusedOnceTheSessionEnded() throws {
        let sessionID = try harness.sessionID()
        #expect(token(sessionID).status == 200)
        #expect(token(sessionID).status == 200)
        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        let refused = token(sessionID)
        #expect(refused.status == 401)
        #expect(refused.detail == "Invalid session")
    }

    @Test func logoutOfOneSessionKeepsTheOthers() throws {
        let first = try harness.sessionID()
        let second = try harness.sessionID()
        // (The second login revoked the first login's pair: see RevocationTests.)
        try harness.gateway.janitor.revokeDue()
        let revokesBefore = harness.hh.transport.requests(to: Fixtures.apiURL + "/oauth/token", method: "DELETE").count
        #expect(harness.send("POST", "/auth/logout", headers: ["Authorization": "Bearer \(first)"]).status == 200)
        try harness.gateway.janitor.revokeDue()
        #expect(token(second).status == 200)
        #expect(
            harness.hh.transport.requests(to: Fixtures.apiURL + "/oauth/token", method: "DELETE").count == revokesBefore
        )
    }

    // Whether the token is still worth revoking is judged by the injected clock, like its expiry was.
    @Test func logoutOfTheLastSessionRevokesAtHH() throws {
        let sessionID = try harness.sessionID()
        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        // The pair waits in the revocation queue for the janitor's thread, woken by the commit.
        #expect(try harness.database.read { db in try harness.gateway.services.revocations.count(in: db) } == 1)
        #expect(try harness.gateway.janitor.revokeDue() == 1)
        #expect(try harness.database.read { db in try harness.gateway.services.revocations.count(in: db) } == 0)
        let revokes = harness.hh.transport.requests(to: Fixtures.apiURL + "/oauth/token", method: "DELETE")
        #expect(revokes.count == 1)
        #expect(revokes.first?.headers["Authorization"] == "Bearer access-1001-1")
    }

    @Test func wholeFlowWritesTheAuditTrail() throws {
        _ = harness.send("GET", "/auth/callback?state=bogus&code=code-1001")
        let sessionID = try harness.sessionID()
        _ = harness.send("POST", "/auth/logout", headers: ["Authorization": "Bearer \(sessionID)"])
        let events = try harness.auditEvents()
        #expect(events.map(\.type) == ["login_failed", "login", "session_created", "logout"])
        #expect(events[0].metadata.contains(#""reason":"state_invalid""#))
        #expect(events.allSatisfy { $0.metadata.contains(#""ip":"203.0.113.7""#) })
        #expect(
            events.allSatisfy {
                $0.metadata.contains(#""user_agent":"UnitTest\/1.0""#)
                    || $0.metadata.contains(#""user_agent":"UnitTest/1.0""#)
            })
    }
}
