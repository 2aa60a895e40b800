import Foundation
import GRDB

/// Re-encrypts stored HH tokens under the current key, a batch per transaction, so the command can
/// be interrupted and rerun; the service keeps decrypting with the old keys meanwhile.
public struct KeyRotation: Sendable {
    let database: AppDatabase
    let tokens: HHTokenStore
    let vault: TokenVault
    let audit: AuditLog

    public init(services: DomainServices) {
        self.database = services.database
        self.tokens = services.tokens
        self.vault = services.vault
        self.audit = services.audit
    }

    /// Returns how many token pairs were moved to the current key.
    public func rotate(actor: AdminActor, batchSize: Int = 100) throws -> Int {
        var moved = 0
        while true {
            let batch = try database.write { db -> Int in
                let rows = try Row.fetchAll(
                    db, sql: "SELECT user_id, version FROM hh_tokens WHERE key_id != ? LIMIT ?",
                    arguments: [vault.currentKey.id, batchSize])
                for row in rows {
                    let userID: Int64 = row["user_id"]
                    guard let record = try tokens.load(userID: userID, in: db) else { continue }
                    try db.execute(
                        sql: """
                            UPDATE hh_tokens SET key_id = ?, access_token = ?, refresh_token = ? WHERE user_id = ? AND version = ?
                            """,
                        arguments: [
                            vault.currentKey.id, try vault.seal(record.accessToken, userID: userID, field: "access"),
                            try vault.seal(record.refreshToken, userID: userID, field: "refresh"), userID,
                            record.version,
                        ])
                }
                return rows.count
            }
            moved += batch
            if batch < batchSize { break }
        }
        moved += try rotateQueued(batchSize: batchSize)
        _ = try database.write { db in
            try audit.record(
                AuditEvent(
                    .keysRotated,
                    metadata: actor.metadata(["count": .integer(Int64(moved)), "key_id": .string(vault.currentKey.id)])),
                in: db)
        }
        return moved
    }

    /// Pairs waiting in the ``RevocationQueue`` are sealed like stored ones, and must outlive the
    /// old key as well. One no key opens is left as it is (the janitor drops it with an error
    /// line); the cursor on `id` keeps it from being read again.
    private func rotateQueued(batchSize: Int) throws -> Int {
        var moved = 0
        var after: Int64 = 0
        while true {
            let (batch, last) = try database.write { db -> (Int, Int64) in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, user_id, key_id, access_token, refresh_token FROM hh_revocations
                        WHERE key_id != ? AND id > ? ORDER BY id LIMIT ?
                        """,
                    arguments: [vault.currentKey.id, after, batchSize])
                var resealed = 0
                for row in rows {
                    let userID: Int64 = row["user_id"]
                    let keyID: String = row["key_id"]
                    guard
                        let access = try? vault.open(
                            row["access_token"], keyID: keyID, userID: userID, field: "access"),
                        let refresh = try? vault.open(
                            row["refresh_token"], keyID: keyID, userID: userID, field: "refresh")
                    else { continue }
                    try db.execute(
                        sql: "UPDATE hh_revocations SET key_id = ?, access_token = ?, refresh_token = ? WHERE id = ?",
                        arguments: [
                            vault.currentKey.id, try vault.seal(access, userID: userID, field: "access"),
                            try vault.seal(refresh, userID: userID, field: "refresh"), row["id"] as Int64,
                        ])
                    resealed += 1
                }
                return (resealed, rows.last.map { $0["id"] as Int64 } ?? after)
            }
            moved += batch
            if last == after { return moved }
            after = last
        }
    }
}
