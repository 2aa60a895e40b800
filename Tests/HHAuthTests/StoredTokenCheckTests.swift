import Foundation
import GRDB
import Testing

@testable import HHAuth

/// `hh-auth doctor`'s key check: which keys the stored pairs need, and whether one really opens.
@Suite("StoredTokenCheck")
struct StoredTokenCheckTests {
    let key = Fixtures.key(1)
    let oldKey = Fixtures.key(2)
    let clock = ManualClock()

    /// A user with a pair sealed under `vault`'s current key.
    private func store(_ hhUserID: String, under vault: TokenVault, in database: AppDatabase) throws -> Int64 {
        let user = try Fixtures.user(hhUserID, in: database, clock: clock)
        try database.write { db in
            try HHTokenStore(vault: vault, clock: clock).save(
                userID: user.id, accessToken: "access-\(hhUserID)", refreshToken: "refresh-\(hhUserID)",
                expiresAt: clock.now().addingTimeInterval(3600), in: db)
        }
        return user.id
    }

    private func uses(_ vault: TokenVault, _ database: TestDatabase) throws -> [StoredTokenCheck.KeyUse] {
        try StoredTokenCheck(vault: vault).keysInUse(in: DatabaseInspection(path: database.path))
    }

    @Test func nothingStoredIsNoKeyInUse() throws {
        let database = try TestDatabase()
        #expect(try uses(TokenVault(current: key), database) == [])
    }

    @Test func theCurrentKeyOpensItsPairs() throws {
        let database = try TestDatabase()
        _ = try store("1001", under: TokenVault(current: key), in: database.database)
        _ = try store("1002", under: TokenVault(current: key), in: database.database)
        #expect(
            try uses(TokenVault(current: key), database) == [
                .init(keyID: key.id, pairs: 2, isKnown: true, isCurrent: true, opens: true)
            ])
    }

    @Test func pairsUnderAnOldKeyAndQueuedPairsAreCounted() throws {
        let database = try TestDatabase()
        let old = TokenVault(current: oldKey)
        _ = try store("1001", under: old, in: database.database)
        let queued = try store("1002", under: old, in: database.database)
        _ = try store("1003", under: TokenVault(current: key), in: database.database)
        // A pair waiting to be revoked is sealed like a stored one, and needs its key as much.
        try database.database.write { db in
            _ = try RevocationQueue(vault: old, clock: clock, wake: WakeSignal()).enqueueStored(userID: queued, in: db)
        }
        #expect(
            try uses(TokenVault(current: key, old: [oldKey]), database) == [
                .init(keyID: key.id, pairs: 1, isKnown: true, isCurrent: true, opens: true),
                .init(keyID: oldKey.id, pairs: 2, isKnown: true, isCurrent: false, opens: true),
            ])
        // Without the old key, its pairs are under a key the vault does not know.
        #expect(
            try uses(TokenVault(current: key), database).last
                == .init(keyID: oldKey.id, pairs: 2, isKnown: false, isCurrent: false, opens: false))
    }

    @Test func aPairThatDoesNotDecryptIsReported() throws {
        let database = try TestDatabase()
        let userID = try store("1001", under: TokenVault(current: key), in: database.database)
        try database.database.write { db in
            try db.execute(
                sql: "UPDATE hh_tokens SET access_token = ? WHERE user_id = ?",
                arguments: [Data(repeating: 1, count: 60), userID])
        }
        #expect(try uses(TokenVault(current: key), database).first?.opens == false)
    }
}
