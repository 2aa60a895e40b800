import Foundation
import GRDB

/// An HH id that may sign in, as the admin API shows it.
public struct AllowedUser: Sendable, Equatable, Encodable {
    public var id: Int64
    public var hhUserID: String
    public var comment: String?
    /// Sorted group names, `[]` for none (see ``WhitelistGroups``).
    public var groups: [String]
    public var isActive: Bool
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, comment, groups
        case hhUserID = "hh_user_id"
        case isActive = "is_active"
        case createdAt = "created_at"
    }

    /// Every key is always present (`"comment": null`, `"groups": []`), as the original service sent
    /// them (`groups` is ours, and always a list).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(hhUserID, forKey: .hhUserID)
        try container.encode(comment, forKey: .comment)
        try container.encode(groups, forKey: .groups)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(createdAt, forKey: .createdAt)
    }

    init(row: Row) {
        id = row["id"]
        hhUserID = row["hh_user_id"]
        comment = row["comment"]
        groups = WhitelistGroups.names(stored: row["groups"])
        isActive = row["is_active"]
        createdAt = Date(timeIntervalSince1970: row["created_at"]).wholeSeconds
    }
}

/// The whitelist: only active entries may sign in. Removal is a soft delete.
public struct Whitelist: Sendable {
    let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }

    public func isAllowed(_ hhUserID: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT is_active FROM allowed_users WHERE hh_user_id = ?", arguments: [hhUserID])
            ?? false
    }

    /// Adds the id, or reactivates it; a `nil` comment keeps the old one, and so do `nil` groups
    /// (`[]` clears them, a list replaces them, stored sorted and without duplicates). The caller
    /// checks the names (``WhitelistGroups/normalized(_:)``). A removed entry that comes back
    /// without `groups` comes back with none: the rights it had must not return unnoticed.
    @discardableResult
    public func allow(_ hhUserID: String, comment: String?, groups: [String]? = nil, in db: Database) throws
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
    public func seed(_ ids: [String], in db: Database) throws {
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
    public func remove(_ hhUserID: String, in db: Database) throws -> Bool {
        try db.execute(
            sql: "UPDATE allowed_users SET is_active = 0, updated_at = ? WHERE hh_user_id = ?",
            arguments: [clock.now().timeIntervalSince1970, hhUserID])
        return db.changesCount > 0
    }

    public func find(_ hhUserID: String, in db: Database) throws -> AllowedUser? {
        try Row.fetchOne(db, sql: "SELECT * FROM allowed_users WHERE hh_user_id = ?", arguments: [hhUserID]).map(
            AllowedUser.init(row:))
    }

    /// Entries in the order they were added, `limit` of them from `offset`.
    public func page(activeOnly: Bool, limit: Int, offset: Int, in db: Database) throws -> [AllowedUser] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM allowed_users \(Self.filter(activeOnly)) ORDER BY id LIMIT ? OFFSET ?",
            arguments: [limit, offset]
        ).map(AllowedUser.init(row:))
    }

    /// The id of the newest entry (0 when there is none).
    public func newestEntryID(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(id) FROM allowed_users") ?? 0
    }

    public func count(activeOnly: Bool, in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM allowed_users \(Self.filter(activeOnly))") ?? 0
    }

    /// Up to `limit` entries with ids in `after+1...through`, in the order they were added.
    public func entries(activeOnly: Bool, after: Int64, through: Int64, limit: Int, in db: Database) throws
        -> [AllowedUser]
    {
        try Row.fetchAll(
            db,
            sql:
                "SELECT * FROM allowed_users WHERE id > ? AND id <= ? \(activeOnly ? "AND is_active = 1" : "") ORDER BY id LIMIT ?",
            arguments: [after, through, limit]
        ).map(AllowedUser.init(row:))
    }

    private static func filter(_ activeOnly: Bool) -> String { activeOnly ? "WHERE is_active = 1" : "" }
}
