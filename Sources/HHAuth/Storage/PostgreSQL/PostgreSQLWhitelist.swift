import Foundation
import PostgreSQL

/// ``WhitelistWrites`` on PostgreSQL: ``Whitelist``'s operations on `allowed_users`, run on the
/// transaction's connection (the rules are the SQLite engine's, `Whitelist+SQLite.swift`).
struct PostgreSQLWhitelist: WhitelistWrites {
    let connection: PGConnection
    let stores: StoreSet
    private var now: Double { stores.whitelist.clock.now().timeIntervalSince1970 }

    private func entries(_ sql: String, _ parameters: [PGParameter] = []) throws -> [AllowedUser] {
        try connection.execute(sql, parameters).map(AllowedUser.init(pgRow:))
    }

    func isAllowed(_ hhUserID: String) throws -> Bool {
        try connection.execute("SELECT is_active FROM allowed_users WHERE hh_user_id = $1", [.text(hhUserID)]).first?
            .bool(0) ?? false
    }

    func isAllowedHoldingEntry(_ hhUserID: String) throws -> Bool {
        try connection.execute(
            "SELECT is_active FROM allowed_users WHERE hh_user_id = $1 FOR SHARE", [.text(hhUserID)]
        ).first?.bool(0) ?? false
    }

    func find(_ hhUserID: String) throws -> AllowedUser? {
        try entries("SELECT \(AllowedUser.pgColumns) FROM allowed_users WHERE hh_user_id = $1", [.text(hhUserID)]).first
    }

    func page(activeOnly: Bool, limit: Int, offset: Int) throws -> [AllowedUser] {
        try entries(
            "SELECT \(AllowedUser.pgColumns) FROM allowed_users \(Self.filter(activeOnly)) ORDER BY id LIMIT $1 OFFSET $2",
            [.int64(Int64(limit)), .int64(Int64(offset))])
    }

    func newestEntryID() throws -> Int64 {
        try connection.execute("SELECT coalesce(max(id), 0) FROM allowed_users").first?.int64(0) ?? 0
    }

    func count(activeOnly: Bool) throws -> Int {
        Int(
            try connection.execute("SELECT count(*) FROM allowed_users \(Self.filter(activeOnly))").first?.int64(0) ?? 0
        )
    }

    func entries(activeOnly: Bool, after: Int64, through: Int64, limit: Int) throws -> [AllowedUser] {
        try entries(
            """
            SELECT \(AllowedUser.pgColumns) FROM allowed_users WHERE id > $1 AND id <= $2 \(activeOnly ? "AND is_active" : "")
            ORDER BY id LIMIT $3
            """,
            [.int64(after), .int64(through), .int64(Int64(limit))])
    }

    /// A `nil` comment keeps the old one, and so do `nil` groups of an active entry; a removed
    /// entry that comes back without `groups` comes back with none (see ``Whitelist``).
    @discardableResult func allow(_ hhUserID: String, comment: String?, groups: [String]?) throws -> AllowedUser {
        let rows = try entries(
            """
            INSERT INTO allowed_users (hh_user_id, comment, groups, is_active, created_at, updated_at)
            VALUES ($1, $2, coalesce($3, ''), true, $4, $4)
            ON CONFLICT (hh_user_id) DO UPDATE SET is_active = true,
                comment = coalesce(excluded.comment, allowed_users.comment),
                groups = coalesce($3, CASE WHEN allowed_users.is_active THEN allowed_users.groups ELSE '' END),
                updated_at = excluded.updated_at
            RETURNING \(AllowedUser.pgColumns)
            """,
            [.text(hhUserID), PGParameter(comment), PGParameter(groups.map(WhitelistGroups.stored)), .double(now)])
        guard let entry = rows.first else { throw PGError(.other, "the whitelist entry was not returned") }
        return entry
    }

    func seed(_ ids: [String]) throws {
        let now = self.now
        for id in ids {
            try connection.execute(
                """
                INSERT INTO allowed_users (hh_user_id, comment, is_active, created_at, updated_at)
                VALUES ($1, 'INITIAL_ALLOWED_USERS', true, $2, $2) ON CONFLICT (hh_user_id) DO NOTHING
                """,
                [.text(id), .double(now)])
        }
    }

    func remove(_ hhUserID: String) throws -> Bool {
        try connection.execute(
            "UPDATE allowed_users SET is_active = false, updated_at = $1 WHERE hh_user_id = $2",
            [.double(now), .text(hhUserID)]
        ).affectedRows > 0
    }

    private static func filter(_ activeOnly: Bool) -> String { activeOnly ? "WHERE is_active" : "" }
}
