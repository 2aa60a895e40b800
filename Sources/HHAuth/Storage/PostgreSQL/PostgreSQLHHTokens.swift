import Foundation
import PostgreSQL

/// ``HHTokenWrites`` on PostgreSQL: ``HHTokenStore``'s operations on `hh_tokens`, sealed and
/// opened through the store's vault (the SQLite engine's `HHTokenStore+SQLite.swift`, statement
/// for statement), except that the refresh lease runs on the database's clock: nodes compare a
/// lease another node took, and `now()` is one clock for all of them (docs/scale-out.md).
struct PostgreSQLHHTokens: HHTokenWrites {
    let connection: PGConnection
    let stores: StoreSet
    private var store: HHTokenStore { stores.tokens }
    private var vault: TokenVault { store.vault }
    private var now: Double { store.clock.now().timeIntervalSince1970 }

    /// The database's clock, in epoch seconds (`now()`: the transaction's start).
    private static let databaseNow = "extract(epoch from now())::double precision"

    /// A new row starts at a random version (see ``HHTokenStore``'s SQLite save for why).
    func save(userID: Int64, accessToken: String, refreshToken: String, expiresAt: Date) throws {
        let access = try vault.seal(accessToken, userID: userID, field: "access")
        let refresh = try vault.seal(refreshToken, userID: userID, field: "refresh")
        let parameters: [PGParameter] = [
            .int64(userID), .text(vault.currentKey.id), .blob(access), .blob(refresh),
            .double(expiresAt.timeIntervalSince1970), .int64(Int64.random(in: 1...(Int64.max / 2))), .double(now),
        ]
        try connection.execute(
            """
            INSERT INTO hh_tokens (user_id, key_id, access_token, refresh_token, expires_at, version, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (user_id) DO UPDATE SET key_id = excluded.key_id, access_token = excluded.access_token,
                refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
                version = hh_tokens.version + 1, lease_owner = NULL, lease_until = NULL,
                updated_at = excluded.updated_at
            """, parameters)
    }

    func saveRefreshed(_ rotated: RotatedTokenPair) throws -> HHTokenStore.RefreshedSave {
        let userID = rotated.userID
        let access = try vault.seal(rotated.accessToken, userID: userID, field: "access")
        let refresh = try vault.seal(rotated.refreshToken, userID: userID, field: "refresh")
        let parameters: [PGParameter] = [
            .text(vault.currentKey.id), .blob(access), .blob(refresh), .double(rotated.expiresAt.timeIntervalSince1970),
            .double(now), .int64(userID), .int64(rotated.replacesVersion),
        ]
        let updated = try connection.execute(
            """
            UPDATE hh_tokens SET key_id = $1, access_token = $2, refresh_token = $3, expires_at = $4,
                version = version + 1, lease_owner = NULL, lease_until = NULL, updated_at = $5
            WHERE user_id = $6 AND version = $7
            """, parameters
        ).affectedRows
        if updated == 1 { return .saved }
        if let current = try? load(userID: userID), current.version == rotated.replacesVersion + 1,
            current.refreshToken == rotated.refreshToken
        {
            return .savedBefore
        }
        return .superseded
    }

    func load(userID: Int64) throws -> HHTokenRecord? {
        guard
            let row = try connection.execute(
                "SELECT key_id, access_token, refresh_token, expires_at, version FROM hh_tokens WHERE user_id = $1",
                [.int64(userID)]
            ).first
        else { return nil }
        let keyID = try row.text(0)
        return HHTokenRecord(
            userID: userID,
            accessToken: try vault.open(try row.data(1) ?? Data(), keyID: keyID, userID: userID, field: "access"),
            refreshToken: try vault.open(try row.data(2) ?? Data(), keyID: keyID, userID: userID, field: "refresh"),
            expiresAt: Date(timeIntervalSince1970: try row.real(3)), version: try row.integer(4))
    }

    func delete(userID: Int64, version: Int64) throws -> Bool {
        try connection.execute(
            "DELETE FROM hh_tokens WHERE user_id = $1 AND version = $2", [.int64(userID), .int64(version)]
        ).affectedRows == 1
    }

    /// Compare-and-set on `version` with a lease that lapses on the database's clock. Under
    /// `READ COMMITTED` a second node's `UPDATE` of the row waits for the first to commit and then
    /// re-checks the `WHERE` on the new row: exactly one of them gets it.
    func acquireLease(userID: Int64, version: Int64, owner: String, seconds: Double) throws -> Bool {
        try connection.execute(
            """
            UPDATE hh_tokens SET lease_owner = $1, lease_until = \(Self.databaseNow) + $2
            WHERE user_id = $3 AND version = $4
              AND (lease_until IS NULL OR lease_until < \(Self.databaseNow) OR lease_owner = $1)
            """,
            [.text(owner), .double(seconds), .int64(userID), .int64(version)]
        ).affectedRows == 1
    }

    func leaseIsTakable(userID: Int64, owner: String) throws -> Bool {
        try connection.execute(
            """
            SELECT lease_until IS NULL OR lease_until < \(Self.databaseNow) OR lease_owner = $2
            FROM hh_tokens WHERE user_id = $1
            """,
            [.int64(userID), .text(owner)]
        ).first?.bool(0) ?? false
    }

    func releaseLease(userID: Int64, owner: String) throws {
        try connection.execute(
            "UPDATE hh_tokens SET lease_owner = NULL, lease_until = NULL WHERE user_id = $1 AND lease_owner = $2",
            [.int64(userID), .text(owner)])
    }

    /// A pair under a live lease (on the database's clock) is left for the next pass.
    func orphanedUserIDs(limit: Int) throws -> [Int64] {
        try connection.execute(
            """
            SELECT t.user_id FROM hh_tokens t
            WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = t.user_id AND s.expires_at > $1)
              AND NOT EXISTS (SELECT 1 FROM exchange_codes c WHERE c.user_id = t.user_id AND c.expires_at > $1)
              AND (t.lease_until IS NULL OR t.lease_until < \(Self.databaseNow))
            LIMIT $2
            """,
            [.double(now), .int64(Int64(limit))]
        ).map { try $0.integer(0) }
    }

    func resealUnderCurrentKey(limit: Int) throws -> Int {
        let userIDs = try connection.execute(
            "SELECT user_id FROM hh_tokens WHERE key_id <> $1 LIMIT $2",
            [.text(vault.currentKey.id), .int64(Int64(limit))]
        ).map { try $0.integer(0) }
        for userID in userIDs {
            guard let record = try load(userID: userID) else { continue }
            let access = try vault.seal(record.accessToken, userID: userID, field: "access")
            let refresh = try vault.seal(record.refreshToken, userID: userID, field: "refresh")
            try connection.execute(
                """
                UPDATE hh_tokens SET key_id = $1, access_token = $2, refresh_token = $3
                WHERE user_id = $4 AND version = $5
                """,
                [.text(vault.currentKey.id), .blob(access), .blob(refresh), .int64(userID), .int64(record.version)])
        }
        return userIDs.count
    }

    func keyIDsInUse() throws -> [String] {
        try connection.execute("SELECT DISTINCT key_id FROM hh_tokens").map { try $0.text(0) }
    }
}
