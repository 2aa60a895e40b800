import Foundation
import GRDB
import Testing

@testable import HHAuth

/// The cache of opened access tokens answers only what `TokenVault.open` answers for the same
/// stored bytes: a refreshed, re-keyed or moved ciphertext is opened (or refused) afresh.
@Suite("Opened access tokens")
struct OpenedAccessTokensTests {
    let fixture: SessionTokenFixture

    init() throws { fixture = try SessionTokenFixture() }

    private func sealed(_ access: String, for hhUserID: String) throws -> (SessionLookup.SealedToken, Int64) {
        let user = try Fixtures.user(hhUserID, in: fixture.database, clock: fixture.clock)
        let created = try fixture.database.write { db in try fixture.sessions.create(userID: user.id, in: db) }
        try fixture.database.write { db in
            try fixture.tokens.save(
                userID: user.id, accessToken: access, refreshToken: "refresh-\(access)",
                expiresAt: fixture.clock.now().addingTimeInterval(600), in: db)
        }
        let found = try #require(try fixture.lookup.token(sessionID: created.sessionID))
        return (try #require(found.token), user.id)
    }

    private func cached(_ token: SessionLookup.SealedToken, _ userID: Int64) -> String? {
        fixture.tokens.opened.token(
            userID: userID, keyID: token.keyID, ciphertext: token.accessToken,
            now: fixture.clock.now().timeIntervalSince1970)
    }

    @Test func aSecondOpenComesFromTheCacheWithTheSameAnswer() throws {
        let (token, userID) = try sealed("access-1", for: "1001")
        #expect(cached(token, userID) == nil)
        let first = try fixture.tokens.openAccess(token, userID: userID)
        #expect(cached(token, userID) == "access-1")
        #expect(try fixture.tokens.openAccess(token, userID: userID) == first)
        #expect(
            first.accessToken
                == (try fixture.tokens.vault.open(
                    token.accessToken, keyID: token.keyID, userID: userID, field: "access")))
        #expect(fixture.tokens.opened.count == 1)
    }

    @Test func aRefreshedTokenIsOpenedAfreshAndReplacesTheOld() throws {
        let (old, userID) = try sealed("access-1", for: "1001")
        _ = try fixture.tokens.openAccess(old, userID: userID)
        var refreshed = old
        refreshed.accessToken = try fixture.tokens.vault.seal("access-2", userID: userID, field: "access")
        #expect(cached(refreshed, userID) == nil)
        #expect(try fixture.tokens.openAccess(refreshed, userID: userID).accessToken == "access-2")
        #expect(cached(old, userID) == nil)  // one entry per user: the old plaintext is gone
        #expect(fixture.tokens.opened.count == 1)
        #expect(try fixture.tokens.openAccess(old, userID: userID).accessToken == "access-1")
    }

    @Test func aCiphertextMovedToAnotherUserStillFailsAfterItsOwnerOpenedIt() throws {
        let (token, userID) = try sealed("access-1", for: "1001")
        _ = try fixture.tokens.openAccess(token, userID: userID)
        #expect(throws: VaultError.cannotDecrypt) { try fixture.tokens.openAccess(token, userID: userID + 1) }
        var otherKey = token
        otherKey.keyID = "not-a-key"
        #expect(throws: VaultError.unknownKey("not-a-key")) { try fixture.tokens.openAccess(otherKey, userID: userID) }
    }

    @Test func aPlaintextLivesAMinuteAtMost() throws {
        let (token, userID) = try sealed("access-1", for: "1001")
        _ = try fixture.tokens.openAccess(token, userID: userID)
        fixture.clock.advance(seconds: OpenedAccessTokens.lifetimeSeconds - 1)
        #expect(cached(token, userID) == "access-1")
        fixture.clock.advance(seconds: 1)
        #expect(cached(token, userID) == nil)
        #expect(fixture.tokens.opened.count == 0)
    }

    /// A user who logged out and never came back: their plaintext goes at the janitor's next pass
    /// (or the next token remembered in its shard), not when they return.
    @Test func anExpiredPlaintextIsDroppedWithoutItsUserComingBack() throws {
        let (token, userID) = try sealed("access-1", for: "1001")
        _ = try fixture.tokens.openAccess(token, userID: userID)
        fixture.clock.advance(seconds: OpenedAccessTokens.lifetimeSeconds - 1)
        fixture.tokens.forgetExpiredOpenedTokens()
        #expect(fixture.tokens.opened.count == 1)
        fixture.clock.advance(seconds: 1)
        fixture.tokens.forgetExpiredOpenedTokens()
        #expect(fixture.tokens.opened.count == 0)

        let cache = OpenedAccessTokens()
        let shards = Int64(OpenedAccessTokens.shardCount)
        cache.remember("a", userID: 1, keyID: "k", ciphertext: Data("a".utf8), now: 0)
        cache.remember("b", userID: 1 + shards, keyID: "k", ciphertext: Data("b".utf8), now: 60)
        #expect(cache.count == 1)  // user 1's expired entry went when its shard took another
    }

    @Test func memoryIsBoundedAndTheNewestStays() {
        let cache = OpenedAccessTokens()
        for index in 0..<20_000 {
            cache.remember(
                "token-\(index)", userID: Int64(index), keyID: "k", ciphertext: Data("c\(index)".utf8), now: 0)
        }
        #expect(cache.count <= OpenedAccessTokens.capacity)
        #expect(cache.count >= OpenedAccessTokens.capacity - OpenedAccessTokens.shardCount)
        #expect(cache.token(userID: 19_999, keyID: "k", ciphertext: Data("c19999".utf8), now: 1) == "token-19999")
    }
}
