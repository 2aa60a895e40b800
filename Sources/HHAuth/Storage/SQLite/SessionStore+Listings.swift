import Foundation
import GRDB

/// Live sessions (``SessionLiveness``) with their owners, as admins see them (``Administration``'s
/// listings). `userID` is a user's row id, or `nil` for everyone's; the per-user queries use the
/// `sessions_by_user` index.
extension SessionStore {
    /// How many live sessions there are.
    public func listingCount(userID: Int64?, in db: Database) throws -> Int {
        let query = liveCondition(userID: userID)
        return try Int.fetchOne(
            db, sql: "SELECT count(*) FROM sessions s" + query.condition, arguments: query.arguments) ?? 0
    }

    /// Live sessions newest first, `limit` of them from `offset`.
    public func listings(userID: Int64?, limit: Int, offset: Int, in db: Database) throws -> [SessionListing] {
        let query = liveCondition(userID: userID)
        return try Row.fetchAll(
            db, sql: Self.listingSelect + query.condition + " ORDER BY s.id DESC LIMIT ? OFFSET ?",
            arguments: query.arguments + [limit, offset]
        ).map(Self.listing)
    }

    /// Up to `limit` live sessions whose row ids are below `below`, newest first, with their row ids
    /// (where the next batch starts).
    public func listings(userID: Int64?, below: Int64, limit: Int, in db: Database) throws -> [(
        id: Int64, listing: SessionListing
    )] {
        let query = liveCondition(userID: userID)
        return try Row.fetchAll(
            db, sql: Self.listingSelect + query.condition + " AND s.id < ? ORDER BY s.id DESC LIMIT ?",
            arguments: query.arguments + [below, limit]
        ).map { row in (row["id"], Self.listing(row)) }
    }

    /// The row id of the newest session (0 when there is none).
    public func newestID(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(id) FROM sessions") ?? 0
    }

    private static let listingSelect = """
        SELECT s.id, s.handle, s.user_id, s.created_at, s.expires_at, u.hh_user_id, u.full_name, u.email
        FROM sessions s JOIN users u ON u.id = s.user_id
        """

    private func liveCondition(userID: Int64?) -> (condition: String, arguments: StatementArguments) {
        let live = liveSQL(table: "s")
        guard let userID else { return (" WHERE " + live.condition, live.arguments) }
        return (" WHERE s.user_id = ? AND " + live.condition, [userID] + live.arguments)
    }

    private static func listing(_ row: Row) -> SessionListing {
        SessionListing(
            id: row["handle"], userID: row["user_id"],
            user: .init(hhUserID: row["hh_user_id"], fullName: row["full_name"], email: row["email"]),
            createdAt: Date(timeIntervalSince1970: row["created_at"]).wholeSeconds,
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]).wholeSeconds)
    }
}
