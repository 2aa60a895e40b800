/// The whitelist's reads, inside a transaction (see ``Whitelist``).
public protocol WhitelistReads {
    /// Whether the HH id has an active entry.
    func isAllowed(_ hhUserID: String) throws -> Bool
    func find(_ hhUserID: String) throws -> AllowedUser?
    /// Entries in the order they were added, `limit` of them from `offset`.
    func page(activeOnly: Bool, limit: Int, offset: Int) throws -> [AllowedUser]
    /// The id of the newest entry (0 when there is none).
    func newestEntryID() throws -> Int64
    func count(activeOnly: Bool) throws -> Int
    /// Up to `limit` entries with ids in `after+1...through`, in the order they were added.
    func entries(activeOnly: Bool, after: Int64, through: Int64, limit: Int) throws -> [AllowedUser]
}

/// The whitelist's writes (and reads), inside a write transaction.
public protocol WhitelistWrites: WhitelistReads {
    /// Adds the id or reactivates it (see ``Whitelist/allow(_:comment:groups:in:)``).
    @discardableResult func allow(_ hhUserID: String, comment: String?, groups: [String]?) throws -> AllowedUser
    /// Seeds ids from `INITIAL_ALLOWED_USERS`; an id an admin removed stays removed.
    func seed(_ ids: [String]) throws
    /// Soft delete; false when the id was never listed.
    func remove(_ hhUserID: String) throws -> Bool
    /// ``WhitelistReads/isAllowed(_:)`` for a transaction that admits the user on what it read (a
    /// sign-in): a concurrent ``remove(_:)`` of the entry waits for this transaction to end, or
    /// this read for the removal (and then sees it). SQLite's single writer serializes them
    /// already; PostgreSQL holds the entry's row (`FOR SHARE`), which also covers a user who has
    /// no `users` row to lock yet (a first sign-in).
    func isAllowedHoldingEntry(_ hhUserID: String) throws -> Bool
}

extension WhitelistWrites {
    /// Adds the id or reactivates it, keeping an active entry's groups (a removed one comes back
    /// with none).
    @discardableResult
    public func allow(_ hhUserID: String, comment: String?) throws -> AllowedUser {
        try allow(hhUserID, comment: comment, groups: nil)
    }
}
