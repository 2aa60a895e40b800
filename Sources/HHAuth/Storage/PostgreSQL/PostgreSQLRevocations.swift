import Foundation
import PostgreSQL

/// ``RevocationWrites`` on PostgreSQL: ``RevocationQueue``'s operations on `hh_revocations` (the
/// SQLite engine's `RevocationQueue+SQLite.swift`, statement for statement). Queuing wakes this
/// process's janitor once the transaction has committed.
struct PostgreSQLRevocations: RevocationWrites {
    let connection: PGConnection
    let stores: StoreSet
    let afterCommit: AfterCommit?
    private var queue: RevocationQueue { stores.revocations }
    private var vault: TokenVault { queue.vault }
    private var now: Double { queue.clock.now().timeIntervalSince1970 }

    func count() throws -> Int {
        Int(try connection.execute("SELECT count(*) FROM hh_revocations").first?.int64(0) ?? 0)
    }

    func keyIDsInUse() throws -> [String] {
        try connection.execute("SELECT DISTINCT key_id FROM hh_revocations").map { try $0.text(0) }
    }

    /// One statement: the row is deleted and its pair queued together, so a refresh committing
    /// meanwhile either lands before the delete (and its pair is what is queued) or finds the row
    /// gone. (As two statements, copy then delete, a refresh between them was deleted unqueued.)
    @discardableResult func enqueueStored(userID: Int64) throws -> Bool {
        let moved =
            try connection.execute(
                """
                WITH moved AS (
                    DELETE FROM hh_tokens WHERE user_id = $2
                    RETURNING user_id, key_id, access_token, refresh_token, expires_at
                )
                INSERT INTO hh_revocations (user_id, key_id, access_token, refresh_token, expires_at, next_attempt_at, created_at)
                SELECT user_id, key_id, access_token, refresh_token, expires_at, $1, $1 FROM moved
                """,
                [.double(now), .int64(userID)]
            ).affectedRows == 1
        if moved { wakeAfterCommit() }
        return moved
    }

    func enqueue(_ record: HHTokenRecord) throws {
        let access = try vault.seal(record.accessToken, userID: record.userID, field: "access")
        let refresh = try vault.seal(record.refreshToken, userID: record.userID, field: "refresh")
        let parameters: [PGParameter] = [
            .int64(record.userID), .text(vault.currentKey.id), .blob(access), .blob(refresh),
            .double(record.expiresAt.timeIntervalSince1970), .double(now),
        ]
        try connection.execute(
            """
            INSERT INTO hh_revocations (user_id, key_id, access_token, refresh_token, expires_at, next_attempt_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $6)
            """, parameters)
        wakeAfterCommit()
    }

    /// How long an entry ``due(limit:)`` handed out is not handed out again (unless
    /// ``postpone(_:replacement:)`` or ``remove(id:)`` settle it first): longer than a janitor
    /// takes for a batch, so two janitors (two nodes) never revoke one pair at once; a janitor
    /// that died holding entries leaves them due again after it.
    static let claimSeconds = 300.0

    /// Pairs of our users before pairs no user holds, then oldest first; only rows under a key
    /// this process holds; one a known key cannot open is deleted and counted (see the SQLite
    /// engine's `due` for why). The entries are claimed: rows another transaction is claiming
    /// are skipped (`FOR UPDATE SKIP LOCKED`), and the ones returned are due again only after
    /// ``claimSeconds``.
    func due(limit: Int) throws -> (entries: [RevocationQueue.Entry], unreadable: Int) {
        let keyIDs = vault.keys.map(\.id)
        let placeholders = keyIDs.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
        var parameters: [PGParameter] = [.double(now)]
        parameters += keyIDs.map { PGParameter.text($0) }
        parameters.append(.int64(Int64(limit)))
        parameters.append(.double(now + Self.claimSeconds))
        let claimed = try connection.execute(
            """
            WITH due AS (
                SELECT id, next_attempt_at FROM hh_revocations
                WHERE next_attempt_at <= $1 AND key_id IN (\(placeholders))
                ORDER BY user_id = 0, next_attempt_at, id LIMIT $\(keyIDs.count + 2)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE hh_revocations r SET next_attempt_at = $\(keyIDs.count + 3) FROM due WHERE r.id = due.id
            RETURNING r.id, r.user_id, r.key_id, r.access_token, r.refresh_token, r.expires_at, r.attempts,
                due.next_attempt_at
            """, parameters)
        // RETURNING keeps no order: the statement's own, again.
        let rows = try claimed.map { row in
            (row: row, order: (try row.integer(1) == 0 ? 1 : 0, try row.real(7), try row.integer(0)))
        }.sorted { $0.order < $1.order }.map(\.row)
        var entries: [RevocationQueue.Entry] = []
        var unreadable = 0
        for row in rows {
            let id = try row.integer(0)
            let userID = try row.integer(1)
            let keyID = try row.text(2)
            guard
                let pair = vault.openPair(
                    access: try row.data(3) ?? Data(), refresh: try row.data(4) ?? Data(), keyID: keyID, userID: userID)
            else {
                try remove(id: id)
                unreadable += 1
                continue
            }
            entries.append(
                RevocationQueue.Entry(
                    id: id,
                    record: HHTokenRecord(
                        userID: userID, accessToken: pair.access, refreshToken: pair.refresh,
                        expiresAt: Date(timeIntervalSince1970: try row.real(5)), version: 0),
                    attempts: Int(try row.integer(6))))
        }
        return (entries, unreadable)
    }

    func remove(id: Int64) throws {
        try connection.execute("DELETE FROM hh_revocations WHERE id = $1", [.int64(id)])
    }

    /// Doubles the pause (30 s, 1 min, … an hour at most), keeping a `replacement` pair HH issued.
    func postpone(_ entry: RevocationQueue.Entry, replacement: HHTokenRecord?) throws {
        let backoff = min(30 * pow(2, Double(min(entry.attempts, 20))), RevocationQueue.maximumBackoffSeconds)
        let next = now + backoff
        guard let replacement else {
            try connection.execute(
                "UPDATE hh_revocations SET attempts = attempts + 1, next_attempt_at = $1 WHERE id = $2",
                [.double(next), .int64(entry.id)])
            return
        }
        let access = try vault.seal(replacement.accessToken, userID: replacement.userID, field: "access")
        let refresh = try vault.seal(replacement.refreshToken, userID: replacement.userID, field: "refresh")
        let parameters: [PGParameter] = [
            .text(vault.currentKey.id), .blob(access), .blob(refresh),
            .double(replacement.expiresAt.timeIntervalSince1970), .double(next), .int64(entry.id),
        ]
        try connection.execute(
            """
            UPDATE hh_revocations SET key_id = $1, access_token = $2, refresh_token = $3, expires_at = $4,
                attempts = attempts + 1, next_attempt_at = $5 WHERE id = $6
            """, parameters)
    }

    func resealUnderCurrentKey(after: Int64, limit: Int) throws -> (resealed: Int, lastID: Int64) {
        let rows = try connection.execute(
            """
            SELECT id, user_id, key_id, access_token, refresh_token FROM hh_revocations
            WHERE key_id <> $1 AND id > $2 ORDER BY id LIMIT $3
            """,
            [.text(vault.currentKey.id), .int64(after), .int64(Int64(limit))])
        var resealed = 0
        var lastID = after
        for row in rows {
            let id = try row.integer(0)
            lastID = id
            let userID = try row.integer(1)
            let keyID = try row.text(2)
            guard
                let pair = vault.openPair(
                    access: try row.data(3) ?? Data(), refresh: try row.data(4) ?? Data(), keyID: keyID, userID: userID)
            else { continue }
            let sealed = try vault.sealPair(access: pair.access, refresh: pair.refresh, userID: userID)
            try connection.execute(
                "UPDATE hh_revocations SET key_id = $1, access_token = $2, refresh_token = $3 WHERE id = $4",
                [.text(vault.currentKey.id), .blob(sealed.access), .blob(sealed.refresh), .int64(id)])
            resealed += 1
        }
        return (resealed, lastID)
    }

    /// Read transactions have nothing to wake (they cannot queue).
    private func wakeAfterCommit() {
        let wake = queue.wake
        afterCommit?.add { wake.signal() }
    }
}
