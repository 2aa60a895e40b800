import Foundation
import PostgreSQL

/// ``LoginStateWrites`` on PostgreSQL: the used OAuth states (`oauth_states`). A state is used by
/// the one callback whose `INSERT … ON CONFLICT DO NOTHING` inserted its row: the primary key
/// decides between nodes as SQLite's single writer does on one.
struct PostgreSQLLoginStates: LoginStateWrites {
    let connection: PGConnection
    let stores: StoreSet
    private var store: LoginStateStore { stores.states }

    func isUsed(_ state: LoginStateStore.Verified) throws -> Bool {
        try !connection.execute("SELECT 1 FROM oauth_states WHERE state_hash = $1", [.blob(state.hash)]).isEmpty
    }

    func consume(_ state: LoginStateStore.Verified) throws -> Bool {
        try connection.execute(
            "INSERT INTO oauth_states (state_hash, expires_at) VALUES ($1, $2) ON CONFLICT (state_hash) DO NOTHING",
            [.blob(state.hash), .double(state.expiresAt)]
        ).affectedRows == 1
    }

    /// Used states are remembered ``LoginStateStore/usedStateMarginSeconds`` past their expiry,
    /// as on SQLite (a clock stepping back must not make a used state verify again).
    func deleteExpired() throws -> Int {
        try connection.execute(
            "DELETE FROM oauth_states WHERE expires_at <= $1",
            [.double(store.clock.now().timeIntervalSince1970 - LoginStateStore.usedStateMarginSeconds)]
        ).affectedRows
    }
}
