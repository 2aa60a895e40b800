import Foundation

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
        try storage.read { tx in
            let userID = try rowID(hhUserID: hhUserID, in: tx)
            return ListingPage(
                items: try tx.sessions.listings(userID: userID, limit: limit, offset: offset),
                total: try tx.sessions.listingCount(userID: userID))
        }
    }

    /// The id of the newest session: where a batched session listing that starts now stops.
    public func newestSessionID() throws -> Int64 {
        try storage.read { tx in try tx.sessions.newestID() }
    }

    /// Calls `body` with each live session whose id is at most `throughID`, newest first, in batches.
    public func forEachSession(
        hhUserID: String? = nil, throughID: Int64 = .max, _ body: (SessionListing) throws -> Void
    ) throws {
        var below = throughID == .max ? throughID : throughID + 1
        while true {
            let batch = try storage.read { tx in
                try tx.sessions.listings(
                    userID: try rowID(hhUserID: hhUserID, in: tx), below: below, limit: Self.batchSize)
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
        try storage.read { tx in
            ListingPage(
                items: try tx.whitelist.page(activeOnly: activeOnly, limit: limit, offset: offset),
                total: try tx.whitelist.count(activeOnly: activeOnly))
        }
    }

    /// The id of the newest whitelist entry: where a batched user listing that starts now stops.
    public func newestUserEntryID() throws -> Int64 {
        try storage.read { tx in try tx.whitelist.newestEntryID() }
    }

    /// Calls `body` with each whitelist entry whose id is at most `throughID`, in the order they
    /// were added, in batches.
    public func forEachUser(activeOnly: Bool, throughID: Int64 = .max, _ body: (AllowedUser) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let batch = try storage.read { tx in
                try tx.whitelist.entries(
                    activeOnly: activeOnly, after: after, through: throughID, limit: Self.batchSize)
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

    /// The row id of the user an HH id names, for the listings' `sessions_by_user` index; an
    /// unknown id gives a row id that matches nothing.
    private func rowID(hhUserID: String?, in tx: any StoreReads) throws -> Int64? {
        guard let hhUserID else { return nil }
        return try tx.users.rowID(hhUserID: hhUserID) ?? -1
    }
}
