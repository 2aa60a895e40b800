import Foundation
import GRDB

/// ``HHTokenStore``'s operations on `hh_tokens` in SQLite's SQL, run in a transaction's `Database`: what
/// the SQLite engine's transactions call (``SQLiteEngine``).
extension HHTokenStore {
    /// Stores the pair a login brought, replacing any pair the user had.
    ///
    /// A new row starts at a random version rather than 1: a refresh that began before the user's
    /// last row was deleted compares versions to decide whether it may save, and must never
    /// mistake a row created since for the one it read (see ``saveRefreshed(_:in:)``).
    func save(userID: Int64, accessToken: String, refreshToken: String, expiresAt: Date, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO hh_tokens (user_id, key_id, access_token, refresh_token, expires_at, version, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(user_id) DO UPDATE SET key_id = excluded.key_id, access_token = excluded.access_token,
                    refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
                    version = version + 1, lease_owner = NULL, lease_until = NULL, updated_at = excluded.updated_at
                """,
            arguments: [
                userID, vault.currentKey.id, try vault.seal(accessToken, userID: userID, field: "access"),
                try vault.seal(refreshToken, userID: userID, field: "refresh"), expiresAt.timeIntervalSince1970,
                Int64.random(in: 1...(Int64.max / 2)), clock.now().timeIntervalSince1970,
            ])
    }

    /// Stores a pair HH issued in exchange for the row's refresh token, but only if the row is
    /// still the one that refresh token came from (`version` unchanged).
    func saveRefreshed(_ rotated: RotatedTokenPair, in db: Database) throws -> RefreshedSave {
        let userID = rotated.userID
        try db.execute(
            sql: """
                UPDATE hh_tokens SET key_id = ?, access_token = ?, refresh_token = ?, expires_at = ?,
                    version = version + 1, lease_owner = NULL, lease_until = NULL, updated_at = ?
                WHERE user_id = ? AND version = ?
                """,
            arguments: [
                vault.currentKey.id, try vault.seal(rotated.accessToken, userID: userID, field: "access"),
                try vault.seal(rotated.refreshToken, userID: userID, field: "refresh"),
                rotated.expiresAt.timeIntervalSince1970, clock.now().timeIntervalSince1970, userID,
                rotated.replacesVersion,
            ])
        if db.changesCount == 1 { return .saved }
        if let current = try? load(userID: userID, in: db), current.version == rotated.replacesVersion + 1,
            current.refreshToken == rotated.refreshToken
        {
            return .savedBefore
        }
        return .superseded
    }

    func load(userID: Int64, in db: Database) throws -> HHTokenRecord? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM hh_tokens WHERE user_id = ?"), arguments: [userID])
        else {
            return nil
        }
        let keyID: String = row["key_id"]
        return HHTokenRecord(
            userID: userID,
            accessToken: try vault.open(row["access_token"], keyID: keyID, userID: userID, field: "access"),
            refreshToken: try vault.open(row["refresh_token"], keyID: keyID, userID: userID, field: "refresh"),
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            version: row["version"])
    }

    /// Deletes the pair only if it is still the given version; false when it was replaced.
    func delete(userID: Int64, version: Int64, in db: Database) throws -> Bool {
        try db.execute(sql: "DELETE FROM hh_tokens WHERE user_id = ? AND version = ?", arguments: [userID, version])
        return db.changesCount == 1
    }

    /// Takes the refresh lease for this version of the token: compare-and-swap on `version` with an
    /// expiring lease, so a second process (or a crashed holder) cannot refresh twice. A lease the
    /// same `owner` holds already (its release failed) is taken again: within one process the
    /// refresh flight keeps refreshes single.
    func acquireLease(userID: Int64, version: Int64, owner: String, seconds: Double, in db: Database) throws
        -> Bool
    {
        let now = clock.now().timeIntervalSince1970
        try db.execute(
            sql: """
                UPDATE hh_tokens SET lease_owner = ?, lease_until = ?
                WHERE user_id = ? AND version = ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)
                """,
            arguments: [owner, now + seconds, userID, version, now, owner])
        return db.changesCount == 1
    }

    /// Whether ``acquireLease(userID:version:owner:seconds:in:)`` could take the lease now: none
    /// is held, it lapsed, or `owner` holds it.
    func leaseIsTakable(userID: Int64, owner: String, in db: Database) throws -> Bool {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT lease_owner, lease_until FROM hh_tokens WHERE user_id = ?", arguments: [userID])
        else { return false }
        let until: Double? = row["lease_until"]
        let holder: String? = row["lease_owner"]
        return until == nil || until! < clock.now().timeIntervalSince1970 || holder == owner
    }

    func releaseLease(userID: Int64, owner: String, in db: Database) throws {
        try db.execute(
            sql: "UPDATE hh_tokens SET lease_owner = NULL, lease_until = NULL WHERE user_id = ? AND lease_owner = ?",
            arguments: [userID, owner])
    }

    /// Up to `limit` users whose pair no live session or usable exchange code needs any more
    /// (their sessions expired). A pair under a live refresh lease is left for the next pass.
    func orphanedUserIDs(limit: Int, in db: Database) throws -> [Int64] {
        let now = clock.now().timeIntervalSince1970
        return try Int64.fetchAll(
            db,
            sql: """
                SELECT t.user_id FROM hh_tokens t
                WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = t.user_id AND s.expires_at > ?)
                  AND NOT EXISTS (SELECT 1 FROM exchange_codes c WHERE c.user_id = t.user_id AND c.expires_at > ?)
                  AND (t.lease_until IS NULL OR t.lease_until < ?)
                LIMIT ?
                """,
            arguments: [now, now, now, limit])
    }

    /// Seals up to `limit` pairs that an old key sealed under the current key instead (``KeyRotation``);
    /// returns how many rows it read, so fewer than `limit` means none is left.
    func resealUnderCurrentKey(limit: Int, in db: Database) throws -> Int {
        let rows = try Row.fetchAll(
            db, sql: "SELECT user_id, version FROM hh_tokens WHERE key_id != ? LIMIT ?",
            arguments: [vault.currentKey.id, limit])
        for row in rows {
            let userID: Int64 = row["user_id"]
            guard let record = try load(userID: userID, in: db) else { continue }
            try db.execute(
                sql: """
                    UPDATE hh_tokens SET key_id = ?, access_token = ?, refresh_token = ? WHERE user_id = ? AND version = ?
                    """,
                arguments: [
                    vault.currentKey.id, try vault.seal(record.accessToken, userID: userID, field: "access"),
                    try vault.seal(record.refreshToken, userID: userID, field: "refresh"), userID, record.version,
                ])
        }
        return rows.count
    }

    /// Ids of keys that stored tokens are sealed under, to refuse starting with the wrong key.
    func keyIDsInUse(in db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM hh_tokens")
    }
}
