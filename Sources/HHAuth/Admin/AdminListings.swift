import Foundation
import GRDB

/// One page of a listing and the number of rows the whole listing has.
public struct ListingPage<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Every matching row, not just this page's.
    public var total: Int
}

/// The admin listings: pages for the HTTP API (an answer never holds more than `maxLimit` rows)
/// and cursors for the CLI (rows go out one at a time, never all in memory).
extension Administration {
    public static let defaultLimit = 100
    public static let maxLimit = 1000

    /// Live sessions, newest first, optionally of one HH user.
    public func sessionsPage(hhUserID: String? = nil, limit: Int, offset: Int) throws -> ListingPage<SessionListing> {
        try database.read { db in
            let query = try sessionQuery(hhUserID: hhUserID, in: db)
            let total = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM sessions s" + query.condition, arguments: query.arguments)
            var items: [SessionListing] = []
            items.reserveCapacity(min(limit, total ?? 0))
            let rows = try Row.fetchCursor(
                db, sql: Self.sessionSelect + query.condition + " ORDER BY s.id DESC LIMIT ? OFFSET ?",
                arguments: query.arguments + [limit, offset])
            while let row = try rows.next() { items.append(Self.listing(row)) }
            return ListingPage(items: items, total: total ?? 0)
        }
    }

    /// Calls `body` with each live session, newest first, reading them one at a time.
    public func forEachSession(hhUserID: String? = nil, in db: Database, _ body: (SessionListing) throws -> Void) throws
    {
        let query = try sessionQuery(hhUserID: hhUserID, in: db)
        let rows = try Row.fetchCursor(
            db, sql: Self.sessionSelect + query.condition + " ORDER BY s.id DESC", arguments: query.arguments)
        while let row = try rows.next() { try body(Self.listing(row)) }
    }

    /// Every live session at once: for tests and small sets; listings use the page or the cursor.
    public func listSessions(hhUserID: String? = nil) throws -> [SessionListing] {
        var all: [SessionListing] = []
        try database.read { db in try forEachSession(hhUserID: hhUserID, in: db) { all.append($0) } }
        return all
    }

    /// Whitelist entries in the order they were added.
    public func usersPage(activeOnly: Bool, limit: Int, offset: Int) throws -> ListingPage<AllowedUser> {
        try database.read { db in
            ListingPage(
                items: try whitelist.page(activeOnly: activeOnly, limit: limit, offset: offset, in: db),
                total: try whitelist.count(activeOnly: activeOnly, in: db))
        }
    }

    /// Calls `body` with each whitelist entry in the order they were added, one at a time.
    public func forEachUser(activeOnly: Bool, in db: Database, _ body: (AllowedUser) throws -> Void) throws {
        try whitelist.forEach(activeOnly: activeOnly, in: db, body)
    }

    /// Every whitelist entry at once: for tests and small sets.
    public func listUsers(activeOnly: Bool) throws -> [AllowedUser] {
        var all: [AllowedUser] = []
        try database.read { db in try whitelist.forEach(activeOnly: activeOnly, in: db) { all.append($0) } }
        return all
    }

    private static let sessionSelect = """
        SELECT s.handle, s.user_id, s.created_at, s.expires_at, u.hh_user_id, u.full_name, u.email
        FROM sessions s JOIN users u ON u.id = s.user_id
        """

    /// The `WHERE` for live sessions; with an HH user id, by the user's row id so the count and
    /// the page use the `sessions_by_user` index (an unknown id matches nothing).
    private func sessionQuery(hhUserID: String?, in db: Database) throws -> (
        condition: String, arguments: StatementArguments
    ) {
        let now = clock.now().timeIntervalSince1970
        guard let hhUserID else { return (" WHERE s.expires_at > ?", [now]) }
        let userID =
            try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE hh_user_id = ?", arguments: [hhUserID]) ?? -1
        return (" WHERE s.user_id = ? AND s.expires_at > ?", [userID, now])
    }

    private static func listing(_ row: Row) -> SessionListing {
        SessionListing(
            id: row["handle"], userID: row["user_id"],
            user: .init(hhUserID: row["hh_user_id"], fullName: row["full_name"], email: row["email"]),
            createdAt: Date(timeIntervalSince1970: row["created_at"]).wholeSeconds,
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]).wholeSeconds)
    }
}
