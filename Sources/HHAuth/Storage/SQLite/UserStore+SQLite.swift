import Foundation
import GRDB

/// ``UserStore``'s operations on `users` in SQLite's SQL, run in a transaction's `Database`: what
/// the SQLite engine's transactions call (``SQLiteEngine``).
extension UserStore {
    /// Creates or refreshes the user from their HH profile.
    func upsert(_ profile: HHProfile, in db: Database) throws -> User {
        let now = clock.now().timeIntervalSince1970
        try db.execute(
            sql: """
                INSERT INTO users (hh_user_id, email, full_name, is_active, created_at, updated_at)
                VALUES (?, ?, ?, 1, ?, ?)
                ON CONFLICT(hh_user_id) DO UPDATE SET email = excluded.email, full_name = excluded.full_name,
                    is_active = 1, updated_at = excluded.updated_at
                """,
            arguments: [profile.id, profile.email, profile.fullName, now, now])
        guard let user = try find(hhUserID: profile.id, in: db) else { throw DatabaseError(message: "user vanished") }
        return user
    }

    func find(id: Int64, in db: Database) throws -> User? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id]).map(
            User.init(row:))
    }

    /// The row id of the user with this HH id, without reading the rest of the row.
    func rowID(hhUserID: String, in db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE hh_user_id = ?", arguments: [hhUserID])
    }

    func find(hhUserID: String, in db: Database) throws -> User? {
        try Row.fetchOne(db, sql: "SELECT * FROM users WHERE hh_user_id = ?", arguments: [hhUserID]).map(
            User.init(row:))
    }
}
