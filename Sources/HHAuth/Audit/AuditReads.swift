import Foundation

/// The audit trail's reads, inside a read transaction (one snapshot; see ``AuditQuery``,
/// ``AuditExport``, ``AuditChain``).
public protocol AuditReads {
    /// Events matching `filter`, newest first, `limit` of them from `offset`, and how many match.
    func page(_ filter: AuditFilter, limit: Int, offset: Int) throws -> (events: [StoredAuditEvent], total: Int)
    /// The same page appended to `json` as the admin API's JSON array; returns the total.
    func appendPageJSON(_ filter: AuditFilter, limit: Int, offset: Int, to json: inout [UInt8]) throws -> Int
    /// Streams every event at or after `since`, oldest first, through `write` in chunks; returns
    /// how many there were.
    func export(format: AuditExport.Format, since: Date?, write: ([UInt8]) throws -> Void) throws -> Int
    /// Walks the hash chain oldest first, from the anchor a prune left.
    func verify() throws -> AuditChain.Verdict
}

/// The audit trail's appends, inside the write transaction of the change they describe (see
/// ``AuditLog``), and its pruning.
public protocol AuditWrites {
    /// Appends the event to the hash chain, as part of the transaction (an engine may append it
    /// only when the transaction commits: its id is known once it has).
    func record(_ event: AuditEvent) throws
    /// Deletes the events older than `before` and records an `audit_pruned` event; returns how
    /// many went.
    func prune(before: Date, actor: AdminActor) throws -> Int
}
