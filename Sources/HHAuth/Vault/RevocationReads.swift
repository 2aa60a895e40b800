import Foundation

/// The revocation queue's reads, inside a transaction (see ``RevocationQueue``).
public protocol RevocationReads {
    /// How many pairs wait.
    func count() throws -> Int
    /// Ids of the keys queued pairs are sealed under.
    func keyIDsInUse() throws -> [String]
}

/// The revocation queue's writes (and reads), inside a write transaction. Queuing wakes the
/// janitor once the transaction has committed.
public protocol RevocationWrites: RevocationReads {
    /// Moves the user's stored pair into the queue; false when there was none.
    @discardableResult func enqueueStored(userID: Int64) throws -> Bool
    /// Queues a pair that was never stored.
    func enqueue(_ record: HHTokenRecord) throws
    /// Up to `limit` entries due for a try; unreadable ones are deleted and counted.
    func due(limit: Int) throws -> (entries: [RevocationQueue.Entry], unreadable: Int)
    /// HH confirmed the revoke, or holds nothing live for the pair.
    func remove(id: Int64) throws
    /// Tries again later; `replacement` is a pair HH issued meanwhile.
    func postpone(_ entry: RevocationQueue.Entry, replacement: HHTokenRecord?) throws
    /// Seals queued pairs under the current key, up to `limit` with ids above `after`.
    func resealUnderCurrentKey(after: Int64, limit: Int) throws -> (resealed: Int, lastID: Int64)
}
