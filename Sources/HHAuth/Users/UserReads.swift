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
    /// Serializes the transaction with every other one that changes the user's sessions, exchange
    /// codes or HH pair: called before the checks such a transaction decides on ("was that the
    /// last session?", "does any session need the pair?"), it makes the others wait until this
    /// transaction ends. SQLite's single writer serializes every write already; PostgreSQL locks
    /// the user's row (`FOR UPDATE`).
    func lock(id: Int64) throws
}
