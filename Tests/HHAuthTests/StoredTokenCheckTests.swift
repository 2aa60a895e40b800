import Foundation
import PostgreSQL
import Testing

@testable import HHAuth

/// `hh-auth doctor`'s key check: which keys the stored pairs need, and whether one really opens,
/// on both engines (``EngineKind``): a SQLite file through ``DatabaseInspection``, a PostgreSQL
/// schema through ``PostgreSQLInspection``.
@Suite("StoredTokenCheck")
struct StoredTokenCheckTests {
    let key = Fixtures.key(1)
    let oldKey = Fixtures.key(2)
    let clock = ManualClock()

    /// A user with a pair sealed under `vault`'s current key, written through an engine of
    /// `storage`'s kind on its database whose stores seal with `vault`.
    private func store(_ hhUserID: String, under vault: TokenVault, in storage: TestStorage) throws -> Int64 {
        let user = try storage.user(hhUserID)
        try storage.engine(sealingWith: vault, clock: clock).write { tx in
            try tx.tokens.save(
                userID: user.id, accessToken: "access-\(hhUserID)", refreshToken: "refresh-\(hhUserID)",
                expiresAt: clock.now().addingTimeInterval(3600))
        }
        return user.id
    }

    /// What doctor reads: the database looked at read-only, never through the serving engine.
    private func uses(_ vault: TokenVault, _ storage: TestStorage) throws -> [StoredTokenCheck.KeyUse] {
        let check = StoredTokenCheck(vault: vault)
        switch storage.kind {
        case .sqlite: return try check.keysInUse(in: DatabaseInspection(path: storage.sqlite!.path))
        case .postgresql:
            return try check.keysInUse(in: PostgreSQLInspection(connectionString: storage.postgreSQL!.conninfo))
        }
    }

    @Test(arguments: EngineKind.allCases)
    func nothingStoredIsNoKeyInUse(_ kind: EngineKind) throws {
        let storage = try TestStorage(kind, clock: clock)
        #expect(try uses(TokenVault(current: key), storage) == [])
    }

    @Test(arguments: EngineKind.allCases)
    func theCurrentKeyOpensItsPairs(_ kind: EngineKind) throws {
        let storage = try TestStorage(kind, clock: clock)
        _ = try store("1001", under: TokenVault(current: key), in: storage)
        _ = try store("1002", under: TokenVault(current: key), in: storage)
        #expect(
            try uses(TokenVault(current: key), storage) == [
                .init(keyID: key.id, pairs: 2, isKnown: true, isCurrent: true, opens: true)
            ])
    }

    /// `ENCRYPTION_KEY` set to another key than the one the pairs were sealed with, and no old
    /// keys: every pair is under a key the vault does not know, and none is said to open.
    @Test(arguments: EngineKind.allCases)
    func aWrongCurrentKeyKnowsNoneOfThePairs(_ kind: EngineKind) throws {
        let storage = try TestStorage(kind, clock: clock)
        _ = try store("1001", under: TokenVault(current: key), in: storage)
        #expect(
            try uses(TokenVault(current: oldKey), storage) == [
                .init(keyID: key.id, pairs: 1, isKnown: false, isCurrent: false, opens: false)
            ])
    }

    @Test(arguments: EngineKind.allCases)
    func pairsUnderAnOldKeyAndQueuedPairsAreCounted(_ kind: EngineKind) throws {
        let storage = try TestStorage(kind, clock: clock)
        let old = TokenVault(current: oldKey)
        _ = try store("1001", under: old, in: storage)
        let queued = try store("1002", under: old, in: storage)
        _ = try store("1003", under: TokenVault(current: key), in: storage)
        // A pair waiting to be revoked is sealed like a stored one, and needs its key as much.
        try storage.engine.write { tx in _ = try tx.revocations.enqueueStored(userID: queued) }
        #expect(
            try uses(TokenVault(current: key, old: [oldKey]), storage) == [
                .init(keyID: key.id, pairs: 1, isKnown: true, isCurrent: true, opens: true),
                .init(keyID: oldKey.id, pairs: 2, isKnown: true, isCurrent: false, opens: true),
            ])
        // Without the old key, its pairs are under a key the vault does not know.
        #expect(
            try uses(TokenVault(current: key), storage) == [
                .init(keyID: key.id, pairs: 1, isKnown: true, isCurrent: true, opens: true),
                .init(keyID: oldKey.id, pairs: 2, isKnown: false, isCurrent: false, opens: false),
            ])
    }

    /// Only queued pairs under a key: one of them is opened (the queue is read when no stored pair is).
    @Test(arguments: EngineKind.allCases)
    func aKeyOnlyQueuedPairsNeedIsOpenedThroughTheQueue(_ kind: EngineKind) throws {
        let storage = try TestStorage(kind, clock: clock)
        let queued = try store("1001", under: TokenVault(current: oldKey), in: storage)
        try storage.engine.write { tx in _ = try tx.revocations.enqueueStored(userID: queued) }
        #expect(
            try uses(TokenVault(current: key, old: [oldKey]), storage) == [
                .init(keyID: oldKey.id, pairs: 1, isKnown: true, isCurrent: false, opens: true)
            ])
    }

    @Test(arguments: EngineKind.allCases)
    func aPairThatDoesNotDecryptIsReported(_ kind: EngineKind) throws {
        let storage = try TestStorage(kind, clock: clock)
        _ = try store("1001", under: TokenVault(current: key), in: storage)
        // Each token is bound to its field: the refresh token's bytes do not open as the access token.
        try storage.execute("UPDATE hh_tokens SET access_token = refresh_token")
        #expect(
            try uses(TokenVault(current: key), storage) == [
                .init(keyID: key.id, pairs: 1, isKnown: true, isCurrent: true, opens: false)
            ])
    }

    /// On PostgreSQL the counts and the pairs opened are read in one snapshot that cannot write.
    @Test func thePostgreSQLReadsAreOneReadOnlySnapshot() throws {
        let storage = try TestStorage(.postgresql, clock: clock)
        let inspection = try PostgreSQLInspection(connectionString: storage.postgreSQL!.conninfo)
        let settings = try inspection.readSnapshot { connection in
            try connection.execute(
                "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')"
            ).first.map { [try $0.string(0), try $0.string(1)] }
        }
        #expect(settings == ["repeatable read", "on"])
    }
}

extension TestStorage {
    /// Another engine on this database whose stores seal with `vault`: what a node started with
    /// other keys wrote.
    fileprivate func engine(sealingWith vault: TokenVault, clock: any WallClock) throws -> any StorageEngine {
        let stores = Fixtures.stores(clock: clock, vault: vault)
        switch kind {
        case .sqlite: return SQLiteEngine(database: sqlite!.database, stores: stores)
        case .postgresql: return try PostgreSQLEngine(connectionString: postgreSQL!.conninfo, stores: stores)
        }
    }
}
