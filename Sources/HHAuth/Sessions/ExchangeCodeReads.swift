/// The exchange codes' reads, inside a transaction (see ``ExchangeCodeStore``).
public protocol ExchangeCodeReads {
    /// Whether the user has an exchange code that can still be used.
    func hasLive(userID: Int64) throws -> Bool
}

/// The exchange codes' writes (and reads), inside a write transaction.
public protocol ExchangeCodeWrites: ExchangeCodeReads {
    /// A new one-time code for the user; the only copy of it is the answer.
    func issue(userID: Int64) throws -> String
    /// Uses a code up; its user id, or `nil` when unknown, used or expired.
    func consume(_ code: String) throws -> Int64?
    /// The user a code belongs to, without using it up (`nil` when unknown): what an exchange
    /// locks (``UserWrites/lock(id:)``) before it consumes the code, in the order a whitelist
    /// removal takes the user's locks (the user, then the codes), never the other way round.
    func owner(of code: String) throws -> Int64?
    /// Voids every unused code of the user.
    func deleteAll(userID: Int64) throws
    /// Deletes expired codes; returns how many.
    func deleteExpired() throws -> Int
}
