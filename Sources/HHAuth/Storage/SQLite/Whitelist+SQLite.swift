import Foundation
import GRDB

/// ``Whitelist``'s operations on `allowed_users` in SQLite's SQL, run in a transaction's `Database`: what
/// the SQLite engine's transactions call (``SQLiteEngine``).
extension Whitelist {
    func isAllowed(_ hhUserID: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT is_active FROM allowed_users WHERE hh_user_id = ?", arguments: [hhUserID])
            ?? false
    }

    /// Adds the id, or reactivates it; a `nil` comment keeps the old one, and so do `nil` groups
    /// (`[]` clears them, a list replaces them, stored sorted and without duplicates). The caller
    /// checks the names (``WhitelistGroups/normalized(_:)``). A removed entry that comes back
    /// without `groups` comes back with none: the rights it had must not return unnoticed.
    @discardableResult
    func allow(_ hhUserID: String, comment: String?, groups: [String]? = nil, in db: Database) throws
        -> AllowedUser
    {
        let now = clock.now().timeIntervalSince1970
        let storedGroups = groups.map(WhitelistGroups.stored)
        try db.execute(
            sql: """
                INSERT INTO allowed_users (hh_user_id, comment, groups, is_active, created_at, updated_at)
                VALUES (?, ?, coalesce(?, ''), 1, ?, ?)
                ON CONFLICT(hh_user_id) DO UPDATE SET is_active = 1, comment = coalesce(excluded.comment, comment),
                    groups = coalesce(?, CASE WHEN is_active = 1 THEN groups ELSE '' END),
                    updated_at = excluded.updated_at
                """,
            arguments: [hhUserID, comment, storedGroups, now, now, storedGroups])
        guard let entry = try find(hhUserID, in: db) else { throw DatabaseError(message: "whitelist entry vanished") }
        return entry
    }

    /// Seeds ids from `INITIAL_ALLOWED_USERS`; an id an admin removed stays removed.
    func seed(_ ids: [String], in db: Database) throws {
        let now = clock.now().timeIntervalSince1970
        for id in ids {
            try db.execute(
                sql: """
                    INSERT INTO allowed_users (hh_user_id, comment, is_active, created_at, updated_at)
                    VALUES (?, 'INITIAL_ALLOWED_USERS', 1, ?, ?) ON CONFLICT(hh_user_id) DO NOTHING
                    """,
                arguments: [id, now, now])
        }
    }

    /// Soft delete. Returns false when the id was never listed.
    func remove(_ hhUserID: String, in db: Database) throws -> Bool {
        try db.execute(
            sql: "UPDATE allowed_users SET is_active = 0, updated_at = ? WHERE hh_user_id = ?",
            arguments: [clock.now().timeIntervalSince1970, hhUserID])
        return db.changesCount > 0
    }

    func find(_ hhUserID: String, in db: Database) throws -> AllowedUser? {
        try Row.fetchOne(db, sql: "SELECT * FROM allowed_users WHERE hh_user_id = ?", arguments: [hhUserID]).map(
            AllowedUser.init(row:))
    }

    /// Entries in the order they were added, `limit` of them from `offset`.
    func page(activeOnly: Bool, limit: Int, offset: Int, in db: Database) throws -> [AllowedUser] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM allowed_users \(Self.filter(activeOnly)) ORDER BY id LIMIT ? OFFSET ?",
            arguments: [limit, offset]
        ).map(AllowedUser.init(row:))
    }

    /// The id of the newest entry (0 when there is none).
    func newestEntryID(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(id) FROM allowed_users") ?? 0
    }

    func count(activeOnly: Bool, in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM allowed_users \(Self.filter(activeOnly))") ?? 0
    }

    /// Up to `limit` entries with ids in `after+1...through`, in the order they were added.
    private static func filter(_ activeOnly: Bool) -> String { activeOnly ? "WHERE is_active = 1" : "" }

    func entries(activeOnly: Bool, after: Int64, through: Int64, limit: Int, in db: Database) throws
        -> [AllowedUser]
    {
        try Row.fetchAll(
            db,
            sql:
                "SELECT * FROM allowed_users WHERE id > ? AND id <= ? \(activeOnly ? "AND is_active = 1" : "") ORDER BY id LIMIT ?",
            arguments: [after, through, limit]
        ).map(AllowedUser.init(row:))
    }
}
