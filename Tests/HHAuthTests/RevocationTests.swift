import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// Issue 9, item 4: every HH pair our side lets go of is revoked at HH, whether the sessions were
/// logged out, ended by an admin or the CLI, expired, or replaced by a new login; an expired
/// access token is no excuse, and neither is HH failing at the time (the queue retries).
@Suite("Gateway: revocation is complete")
struct RevocationTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness()
    }

    private var janitor: Janitor { harness.gateway.janitor }

    private var revokedTokens: [String] {
        harness.hh.transport.requests(to: Fixtures.apiURL + "/oauth/token", method: "DELETE").compactMap {
            $0.headers["Authorization"].map { String($0.dropFirst("Bearer ".count)) }
        }
    }

    private var refreshGrants: [QueryParameters] {
        harness.hh.transport.requests(to: Fixtures.tokenURL).map(FakeHH.form).filter {
            $0["grant_type"] == "refresh_token"
        }
    }

    private func storedPairs() throws -> Int {
        try harness.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM hh_tokens") ?? 0 }
    }

    private func queued() throws -> Int {
        try harness.database.read { db in try harness.gateway.services.revocations.count(in: db) }
    }

    @Test func logoutWithAnExpiredAccessTokenRefreshesOnceAndRevokesTheNewPair() throws {
        let sessionID = try harness.sessionID()
        // Past the access token's 14 days, inside the session's 30.
        harness.clock.advance(seconds: 15 * 24 * 3600)
        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        #expect(try storedPairs() == 0)
        #expect(try queued() == 1)
        #expect(try janitor.revokeDue() == 1)
        #expect(refreshGrants.map { $0["refresh_token"] } == ["refresh-1001-1"])
        #expect(revokedTokens == ["access-1001-2"])
        #expect(try queued() == 0)
    }

    @Test func aNewLoginRevokesThePairItReplaces() throws {
        let first = try harness.sessionID()
        #expect(try queued() == 0)
        let second = try harness.sessionID()
        #expect(try janitor.revokeDue() == 1)
        #expect(revokedTokens == ["access-1001-1"])
        // Both sessions now run on the new pair.
        for sessionID in [first, second] {
            let answer = harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#)
            #expect(answer.json["access_token"] as? String == "access-1001-2")
        }
    }

    @Test func sessionsEndedByTheCLIAreRevokedByTheService() throws {
        _ = try harness.sessionID(for: "1001")
        _ = try harness.sessionID(for: "3003")
        // The CLI has no HH settings: it queues, and the serving janitor revokes.
        let administration = harness.gateway.services.administration()
        #expect(try administration.endSessions(hhUserID: nil, by: AdminActor(name: "cli:root")) == 2)
        #expect(revokedTokens.isEmpty)
        #expect(try queued() == 2)
        #expect(try janitor.revokeDue() == 2)
        #expect(Set(revokedTokens) == ["access-1001-1", "access-3003-2"])
    }

    @Test func aRevokeHHFailsStaysQueuedAndIsRetriedLaterWithThePairHHIssuedMeanwhile() throws {
        let sessionID = try harness.sessionID()
        harness.clock.advance(seconds: 15 * 24 * 3600)
        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        // HH refreshes the expired pair, then fails the revoke: the refresh token is spent now.
        harness.hh.transport.on(Fixtures.apiURL + "/oauth/token", status: 503, json: #"{"description":"down"}"#)
        #expect(try janitor.revokeDue() == 0)
        #expect(try queued() == 1)
        // Not due again at once: the next try waits for its backoff.
        harness.hh.transport.on(Fixtures.apiURL + "/oauth/token") { _ in HHHTTPResponse(status: 204, body: []) }
        #expect(try janitor.revokeDue() == 0)
        harness.clock.advance(seconds: 31)
        #expect(try janitor.revokeDue() == 1)
        // The second try revoked the pair HH issued on the first, with no second refresh.
        #expect(refreshGrants.count == 1)
        #expect(revokedTokens == ["access-1001-2", "access-1001-2"])
        #expect(try queued() == 0)
    }

    /// Only HH's documented words for a dead refresh token let the queue drop a pair; a refusal in
    /// other words may be passing, so the pair stays queued for the next try.
    @Test func aRefusalInUndocumentedWordsKeepsThePairQueued() throws {
        let sessionID = try harness.sessionID()
        harness.clock.advance(seconds: 15 * 24 * 3600)
        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        harness.hh.transport.on(
            Fixtures.tokenURL, status: 400, json: #"{"error":"invalid_grant","error_description":"try later"}"#)
        #expect(try janitor.revokeDue() == 0)
        #expect(try queued() == 1)
        // The documented words for a spent token do let it go.
        harness.hh.transport.on(
            Fixtures.tokenURL, status: 400,
            json: #"{"error":"invalid_grant","error_description":"token has already been refreshed"}"#)
        harness.clock.advance(seconds: 31)
        #expect(try janitor.revokeDue() == 1)
        #expect(try queued() == 0)
    }

    @Test func loggingOutTheLastSessionKeepsThePairAnUnusedExchangeCodeNeeds() throws {
        let old = try harness.sessionID()
        // A new sign-in is on its way to a session when the old, last session logs out.
        let code = try harness.exchangeCode()
        _ = try janitor.revokeDue()
        let revokedBefore = revokedTokens
        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(old)"}"#).status == 200)
        #expect(try queued() == 0)
        let exchange = harness.send("POST", "/auth/exchange", json: #"{"exchange_code":"\#(code)"}"#)
        let sessionID = try #require(exchange.json["session_id"] as? String)
        let token = harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#)
        #expect(token.status == 200)
        #expect(token.json["access_token"] as? String == "access-1001-2")
        #expect(revokedTokens == revokedBefore)
    }

    @Test func theJanitorQueuesAndRevokesPairsWhoseSessionsAllExpired() throws {
        _ = try harness.sessionID(for: "1001")
        harness.clock.advance(seconds: 721 * 3600)
        // Signed in since: 3003 with a live session, 2002 with only an unused exchange code.
        _ = try harness.sessionID(for: "3003")
        try harness.database.write { db in
            _ = try harness.gateway.services.whitelist.allow("2002", comment: nil, in: db)
        }
        _ = try harness.exchangeCode(for: "2002")
        #expect(try storedPairs() == 3)

        // The CLI's janitor queues 1001's pair (its sessions are all gone) but cannot revoke it.
        let cli = harness.gateway.services.janitor(logger: Fixtures.logger)
        let swept = try cli.sweep()
        #expect(swept.orphanedPairs == 1)
        #expect(swept.revokedPairs == 0)
        #expect(try storedPairs() == 2)
        #expect(try queued() == 1)

        // The service's: 1001's access token expired, so it is refreshed once, then revoked.
        #expect(try janitor.sweep().revokedPairs == 1)
        #expect(refreshGrants.map { $0["refresh_token"] } == ["refresh-1001-1"])
        #expect(revokedTokens == ["access-1001-4"])

        // 2002's pair was kept for its exchange code, until the code expired.
        harness.clock.advance(seconds: 301)
        let later = try janitor.sweep()
        #expect(later.orphanedPairs == 1)
        #expect(later.revokedPairs == 1)
        #expect(revokedTokens == ["access-1001-4", "access-2002-3"])
        #expect(try storedPairs() == 1)
        #expect(try queued() == 0)
    }
}
