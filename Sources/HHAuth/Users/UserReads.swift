/// The `users` table's reads, inside a transaction (see ``UserStore``).
public protocol UserReads {
    func find(id: Int64) throws -> User?
    /// The row id of the user with this HH id, without reading the rest of the row.
    func rowID(hhUserID: String) throws -> Int64?
    func find(hhUserID: String) throws -> User?
}

/// The `users` table's writes (and reads), inside a write transaction.
public protocol UserWrites: UserReads {
    /// Creates or refreshes the user from their HH profile.
    func upsert(_ profile: HHProfile) throws -> User
}
