import Foundation
import GRDB

/// One page of a listing and the number of rows the whole listing has.
public struct ListingPage<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Every matching row, not just this page's.
    public var total: Int
}

/// The admin listings: pages for the HTTP API (an answer never holds more than `maxLimit` rows),
/// and batches for the CLI, which hands rows out one at a time and never holds more than
/// `batchSize`.
///
/// A batch is one short read transaction, and rows are handed out between them: a slow consumer
/// (the CLI's output piped into a pager) must not hold a read transaction open, which would keep
/// SQLite from checkpointing the WAL while the service writes. Each batched listing stops at an
/// id fixed by its caller (`throughID`), so two passes over it list the same rows.
extension Administration {
    public static let defaultLimit = 100
    public static let maxLimit = 1000
    static let batchSize = 1000

    /// Live sessions, newest first, optionally of one HH user.
    public func sessionsPage(hhUserID: String? = nil, limit: Int, offset: Int) throws -> ListingPage<SessionListing> {
        try database.read { db in
            let query = try sessionQuery(hhUserID: hhUserID, in: db)
            let total = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM sessions s" + query.condition, arguments: query.arguments)
            let items = try Row.fetchAll(
                db, sql: Self.sessionSelect + query.condition + " ORDER BY s.id DESC LIMIT ? OFFSET ?",
                arguments: query.arguments + [limit, offset]
            ).map(Self.listing)
            return ListingPage(items: items, total: total ?? 0)
        }
    }

    /// The id of the newest session: where a batched session listing that starts now stops.
    public func newestSessionID() throws -> Int64 {
        try database.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM sessions") ?? 0 }
    }

    /// Calls `body` with each live session whose id is at most `throughID`, newest first, in batches.
    public func forEachSession(
        hhUserID: String? = nil, throughID: Int64 = .max, _ body: (SessionListing) throws -> Void
    ) throws {
        var below = throughID == .max ? throughID : throughID + 1
        while true {
            let batch = try database.read { db in
                let query = try sessionQuery(hhUserID: hhUserID, in: db)
                return try Row.fetchAll(
                    db, sql: Self.sessionSelect + query.condition + " AND s.id < ? ORDER BY s.id DESC LIMIT ?",
                    arguments: query.arguments + [below, Self.batchSize]
                ).map { row -> (id: Int64, listing: SessionListing) in (row["id"], Self.listing(row)) }
            }
            for entry in batch { try body(entry.listing) }
            guard batch.count == Self.batchSize, let last = batch.last else { return }
            below = last.id
        }
    }

    /// Every live session at once: for tests and small sets; listings use pages or batches.
    public func listSessions(hhUserID: String? = nil) throws -> [SessionListing] {
        var all: [SessionListing] = []
        try forEachSession(hhUserID: hhUserID) { all.append($0) }
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

    /// The id of the newest whitelist entry: where a batched user listing that starts now stops.
    public func newestUserEntryID() throws -> Int64 {
        try database.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM allowed_users") ?? 0 }
    }

    /// Calls `body` with each whitelist entry whose id is at most `throughID`, in the order they
    /// were added, in batches.
    public func forEachUser(activeOnly: Bool, throughID: Int64 = .max, _ body: (AllowedUser) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let batch = try database.read { db in
                try whitelist.entries(
                    activeOnly: activeOnly, after: after, through: throughID, limit: Self.batchSize, in: db)
            }
            for entry in batch { try body(entry) }
            guard batch.count == Self.batchSize, let last = batch.last else { return }
            after = last.id
        }
    }

    /// Every whitelist entry at once: for tests and small sets.
    public func listUsers(activeOnly: Bool) throws -> [AllowedUser] {
        var all: [AllowedUser] = []
        try forEachUser(activeOnly: activeOnly) { all.append($0) }
        return all
    }

    private static let sessionSelect = """
        SELECT s.id, s.handle, s.user_id, s.created_at, s.expires_at, u.hh_user_id, u.full_name, u.email
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
