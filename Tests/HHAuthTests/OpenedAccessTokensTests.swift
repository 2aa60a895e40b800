import Foundation
import GRDB
import Testing

@testable import HHAuth

/// The cache of opened access tokens answers only what `TokenVault.open` answers for the same
/// stored bytes: a refreshed, re-keyed or moved ciphertext is opened (or refused) afresh.
@Suite("Opened access tokens")
struct OpenedAccessTokensTests {
    let clock = ManualClock()
    let store: TestDatabase
    let sessions: SessionStore
    let tokens: HHTokenStore
    let lookup: SessionLookup
    var database: AppDatabase { store.database }

    init() throws {
        store = try TestDatabase()
        sessions = SessionStore(clock: clock, lifetimeSeconds: 3600)
        tokens = HHTokenStore(vault: TokenVault(current: Fixtures.key()), clock: clock)
        lookup = SessionLookup(database: store.database, clock: clock)
    }

    private func sealed(_ access: String, for hhUserID: String) throws -> (SessionLookup.SealedToken, Int64) {
        let user = try Fixtures.user(hhUserID, in: database, clock: clock)
        let created = try database.write { db in try sessions.create(userID: user.id, in: db) }
        try database.write { db in
            try tokens.save(
                userID: user.id, accessToken: access, refreshToken: "refresh-\(access)",
                expiresAt: clock.now().addingTimeInterval(600), in: db)
        }
        let found = try #require(try lookup.token(sessionID: created.sessionID))
        return (try #require(found.token), user.id)
    }

    @Test func aSecondOpenComesFromTheCacheWithTheSameAnswer() throws {
        let (token, userID) = try sealed("access-1", for: "1001")
        let first = try tokens.openAccess(token, userID: userID)
        #expect(tokens.opened.count == 1)
        #expect(try tokens.openAccess(token, userID: userID) == first)
        #expect(
            first.accessToken
                == (try tokens.vault.open(token.accessToken, keyID: token.keyID, userID: userID, field: "access")))
        #expect(tokens.opened.count == 1)
    }

    @Test func aRefreshedTokenIsOpenedAfresh() throws {
        let (old, userID) = try sealed("access-1", for: "1001")
        _ = try tokens.openAccess(old, userID: userID)
        var refreshed = old
        refreshed.accessToken = try tokens.vault.seal("access-2", userID: userID, field: "access")
        #expect(try tokens.openAccess(refreshed, userID: userID).accessToken == "access-2")
        #expect(try tokens.openAccess(old, userID: userID).accessToken == "access-1")
    }

    @Test func aCiphertextMovedToAnotherUserStillFailsAfterItsOwnerOpenedIt() throws {
        let (token, userID) = try sealed("access-1", for: "1001")
        _ = try tokens.openAccess(token, userID: userID)
        #expect(throws: VaultError.cannotDecrypt) { try tokens.openAccess(token, userID: userID + 1) }
        var otherKey = token
        otherKey.keyID = "not-a-key"
        #expect(throws: VaultError.unknownKey("not-a-key")) { try tokens.openAccess(otherKey, userID: userID) }
    }

    @Test func memoryIsBounded() {
        let cache = OpenedAccessTokens()
        for index in 0..<20_000 {
            cache.remember(
                "token-\(index)", for: .init(userID: Int64(index), keyID: "k", ciphertext: Data("c\(index)".utf8)))
        }
        #expect(cache.count <= OpenedAccessTokens.shardCount * OpenedAccessTokens.entriesPerShard)
        #expect(cache.count > 0)
    }
}
