import Foundation
import GRDB

/// ``LoginStateStore``'s operations on `oauth_states` in SQLite's SQL, run in a transaction's `Database`: what
/// the SQLite engine's transactions call (``SQLiteEngine``).
extension LoginStateStore {
    /// Whether the state was used already: lets a replay be refused on a read, without the write lock.
    func isUsed(_ state: Verified, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM oauth_states WHERE state_hash = ?", arguments: [state.hash]) ?? false
    }

    /// Marks the state used; `false` when another callback used it first.
    func consume(_ state: Verified, in db: Database) throws -> Bool {
        try db.execute(
            sql: "INSERT INTO oauth_states (state_hash, expires_at) VALUES (?, ?) ON CONFLICT (state_hash) DO NOTHING",
            arguments: [state.hash, state.expiresAt])
        return db.changesCount == 1
    }

    /// Used states are remembered ``usedStateMarginSeconds`` past their expiry: if the clock steps
    /// back (NTP) after a row is gone, the state would verify again and a captured callback URL
    /// could be replayed.
    func deleteExpired(in db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM oauth_states WHERE expires_at <= ?",
            arguments: [clock.now().timeIntervalSince1970 - Self.usedStateMarginSeconds])
        return db.changesCount
    }
}
