import Foundation
import GRDB

/// ``RevocationQueue``'s operations on `hh_revocations` in SQLite's SQL, run in a transaction's `Database`: what
/// the SQLite engine's transactions call (``SQLiteEngine``).
extension RevocationQueue {
    /// Moves the user's stored pair into the queue; false when there was none.
    @discardableResult
    func enqueueStored(userID: Int64, in db: Database) throws -> Bool {
        let now = clock.now().timeIntervalSince1970
        try db.execute(
            sql: """
                INSERT INTO hh_revocations (user_id, key_id, access_token, refresh_token, expires_at, next_attempt_at, created_at)
                SELECT user_id, key_id, access_token, refresh_token, expires_at, ?, ? FROM hh_tokens WHERE user_id = ?
                """,
            arguments: [now, now, userID])
        let moved = db.changesCount == 1
        try db.execute(sql: "DELETE FROM hh_tokens WHERE user_id = ?", arguments: [userID])
        if moved { wakeAfterCommit(db) }
        return moved
    }

    /// Queues a pair that was never stored (a refresh whose sessions ended while HH answered).
    func enqueue(_ record: HHTokenRecord, in db: Database) throws {
        let now = clock.now().timeIntervalSince1970
        try db.execute(
            sql: """
                INSERT INTO hh_revocations (user_id, key_id, access_token, refresh_token, expires_at, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.userID, vault.currentKey.id,
                try vault.seal(record.accessToken, userID: record.userID, field: "access"),
                try vault.seal(record.refreshToken, userID: record.userID, field: "refresh"),
                record.expiresAt.timeIntervalSince1970, now, now,
            ])
        wakeAfterCommit(db)
    }

    /// Up to `limit` entries whose next try is due: pairs of our users before pairs no user holds
    /// (sign-ins off the whitelist, which anyone with an HH account can cause), then oldest first.
    /// Only rows under a key this process holds are read: one sealed under a key it does not
    /// know yet (`keys rotate` run while the service still has the old key) waits for a process
    /// that does. One that a known key cannot open is deleted and counted in `unreadable`:
    /// nothing can revoke it, and left in place it would fill every batch.
    func due(limit: Int, in db: Database) throws -> (entries: [Entry], unreadable: Int) {
        let keyIDs = vault.keys.map(\.id)
        let placeholders = Array(repeating: "?", count: keyIDs.count).joined(separator: ", ")
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM hh_revocations WHERE next_attempt_at <= ? AND key_id IN (\(placeholders))
                ORDER BY user_id = 0, next_attempt_at, id LIMIT ?
                """,
            arguments: StatementArguments(
                [clock.now().timeIntervalSince1970] + keyIDs.map { $0 as any DatabaseValueConvertible } + [limit]))
        var entries: [Entry] = []
        var unreadable = 0
        for row in rows {
            let userID: Int64 = row["user_id"]
            let keyID: String = row["key_id"]
            guard
                let pair = vault.openPair(
                    access: row["access_token"], refresh: row["refresh_token"], keyID: keyID, userID: userID)
            else {
                try remove(id: row["id"], in: db)
                unreadable += 1
                continue
            }
            entries.append(
                Entry(
                    id: row["id"],
                    record: HHTokenRecord(
                        userID: userID, accessToken: pair.access, refreshToken: pair.refresh,
                        expiresAt: Date(timeIntervalSince1970: row["expires_at"]), version: 0),
                    attempts: row["attempts"]))
        }
        return (entries, unreadable)
    }

    /// HH confirmed the revoke, or holds nothing live for the pair.
    func remove(id: Int64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM hh_revocations WHERE id = ?", arguments: [id])
    }

    /// Tries again later, doubling the pause (30 s, 1 min, … an hour at most). `replacement` is a
    /// pair HH issued while we tried (an expired access token is refreshed to revoke it): the old
    /// refresh token is spent, so the queue must keep the new pair.
    func postpone(_ entry: Entry, replacement: HHTokenRecord?, in db: Database) throws {
        let backoff = min(30 * pow(2, Double(min(entry.attempts, 20))), Self.maximumBackoffSeconds)
        let next = clock.now().timeIntervalSince1970 + backoff
        if let replacement {
            try db.execute(
                sql: """
                    UPDATE hh_revocations SET key_id = ?, access_token = ?, refresh_token = ?, expires_at = ?,
                        attempts = attempts + 1, next_attempt_at = ? WHERE id = ?
                    """,
                arguments: [
                    vault.currentKey.id,
                    try vault.seal(replacement.accessToken, userID: replacement.userID, field: "access"),
                    try vault.seal(replacement.refreshToken, userID: replacement.userID, field: "refresh"),
                    replacement.expiresAt.timeIntervalSince1970, next, entry.id,
                ])
        } else {
            try db.execute(
                sql: "UPDATE hh_revocations SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                arguments: [next, entry.id])
        }
    }

    /// How many pairs wait, for `hh-auth` and the tests.
    func count(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM hh_revocations") ?? 0
    }

    /// Seals queued pairs that an old key sealed under the current key instead (``KeyRotation``):
    /// up to `limit` rows with ids above `after`. One no key opens is left as it is (the janitor
    /// drops it with an error line). Returns how many were sealed anew and the last id read
    /// (`after` when there was none: the queue is done).
    func resealUnderCurrentKey(after: Int64, limit: Int, in db: Database) throws -> (
        resealed: Int, lastID: Int64
    ) {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT id, user_id, key_id, access_token, refresh_token FROM hh_revocations
                WHERE key_id != ? AND id > ? ORDER BY id LIMIT ?
                """,
            arguments: [vault.currentKey.id, after, limit])
        var resealed = 0
        for row in rows {
            let userID: Int64 = row["user_id"]
            let keyID: String = row["key_id"]
            guard
                let pair = vault.openPair(
                    access: row["access_token"], refresh: row["refresh_token"], keyID: keyID, userID: userID)
            else { continue }
            let sealed = try vault.sealPair(access: pair.access, refresh: pair.refresh, userID: userID)
            try db.execute(
                sql: "UPDATE hh_revocations SET key_id = ?, access_token = ?, refresh_token = ? WHERE id = ?",
                arguments: [vault.currentKey.id, sealed.access, sealed.refresh, row["id"] as Int64])
            resealed += 1
        }
        return (resealed, rows.last.map { $0["id"] as Int64 } ?? after)
    }

    /// Ids of keys that queued pairs are sealed under (``DomainServices/checkKeys()``).
    func keyIDsInUse(in db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM hh_revocations")
    }

    private func wakeAfterCommit(_ db: Database) {
        db.afterNextTransaction { _ in wake.signal() }
    }
}
