import FastCGI
import Foundation
import GRDB
import Testing

@testable import HHAuth

/// Issue 9, item 4: every HH pair our side lets go of is revoked at HH, whether the sessions were
/// logged out, expired, or replaced by a new login; an expired access token is no excuse.
@Suite("Gateway: revocation is complete")
struct RevocationTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness()
    }

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
        try harness.database.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM hh_tokens") ?? 0 }
    }

    @Test func logoutWithAnExpiredAccessTokenRefreshesOnceAndRevokesTheNewPair() throws {
        let sessionID = try harness.sessionID()
        // Past the access token's 14 days, inside the session's 30.
        harness.clock.advance(seconds: 15 * 24 * 3600)
        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        #expect(refreshGrants.map { $0["refresh_token"] } == ["refresh-1001-1"])
        #expect(revokedTokens == ["access-1001-2"])
        #expect(try storedPairs() == 0)
    }

    @Test func aNewLoginRevokesThePairItReplaces() throws {
        let first = try harness.sessionID()
        #expect(revokedTokens.isEmpty)
        let second = try harness.sessionID()
        #expect(revokedTokens == ["access-1001-1"])
        // Both sessions now run on the new pair.
        for sessionID in [first, second] {
            let answer = harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#)
            #expect(answer.json["access_token"] as? String == "access-1001-2")
        }
    }

    @Test func theJanitorRevokesAndDeletesPairsWhoseSessionsAllExpired() throws {
        _ = try harness.sessionID(for: "1001")
        harness.clock.advance(seconds: 721 * 3600)
        // Signed in since: 3003 with a live session, 2002 with only an unused exchange code.
        _ = try harness.sessionID(for: "3003")
        try harness.database.writer.write { db in
            _ = try harness.gateway.services.whitelist.allow("2002", comment: nil, in: db)
        }
        _ = try harness.exchangeCode(for: "2002")
        #expect(try storedPairs() == 3)

        // The CLI's janitor has no HH client: it leaves pairs to the service, which can revoke them.
        let cli = harness.gateway.services.janitor(logger: Fixtures.logger)
        #expect(try cli.sweep().orphanedPairs == 0)
        #expect(try storedPairs() == 3)

        // 1001's sessions are all gone and its access token expired: refreshed once, then revoked.
        #expect(try harness.gateway.janitor.sweep().orphanedPairs == 1)
        #expect(refreshGrants.map { $0["refresh_token"] } == ["refresh-1001-1"])
        #expect(revokedTokens == ["access-1001-4"])
        #expect(try storedPairs() == 2)

        // 2002's pair was kept for its exchange code, until the code expired.
        harness.clock.advance(seconds: 301)
        #expect(try harness.gateway.janitor.sweep().orphanedPairs == 1)
        #expect(revokedTokens == ["access-1001-4", "access-2002-3"])
        #expect(try storedPairs() == 1)
    }
}
