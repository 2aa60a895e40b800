/// What decides the next ids, moved with the rows: each identity table's high-water mark (the
/// largest id ever handed out, which may be above the largest left: a deleted session's id is
/// never handed out again), and the audit chain's anchor and head.
///
/// SQLite keeps the marks in `sqlite_sequence` (the audit trail's too: its next id is the mark
/// plus one) and the anchor in `audit_guard`; PostgreSQL keeps the marks in its identities'
/// sequences and anchor and head in `audit_guard` (docs/scale-out.md).
struct MovedSequenceState: Sendable, Equatable {
    /// Per table with an identity (``MovedTable/hasIdentity``): the largest id handed out, 0 for none.
    var highWaterMarks: [String: Int64]
    /// Where the chain starts (the last event a prune deleted; 0 and the genesis hash if none).
    var anchorID: Int64
    var anchorHash: String
    /// The chain's last event (the anchor while there is none): the next event is `headID + 1`,
    /// chained to `headHash`.
    var headID: Int64
    var headHash: String

    /// The state once `copied` was written: no mark below an id that exists, and a head at the
    /// last copied event if the source's bookkeeping lagged behind its rows.
    func covering(_ copied: CopiedExtent) -> MovedSequenceState {
        var state = self
        for (table, id) in copied.largestIDs { state.highWaterMarks[table] = max(state.highWaterMarks[table] ?? 0, id) }
        if let last = copied.lastAuditEvent, last.id >= headID {
            state.headID = last.id
            state.headHash = last.hash
        }
        return state
    }
}

/// What a move wrote, as far as the counters care: the largest id per identity table, and the
/// last audit event.
struct CopiedExtent: Sendable {
    var largestIDs: [String: Int64] = [:]
    var lastAuditEvent: (id: Int64, hash: String)?
}

extension CopiedExtent {
    /// Notes the largest id of an identity table and the last audit event of a batch (rows come
    /// in id order, so the batch's last row has both).
    mutating func note(_ batch: [[MovedValue]], of table: MovedTable) {
        guard let last = batch.last, case .integer(let id) = last.first else { return }
        if table.hasIdentity { largestIDs[table.name] = id }
        if table.name == "audit_events", let index = table.columns.firstIndex(where: { $0.name == "hash" }),
            case .text(let hash) = last[index]
        {
            lastAuditEvent = (id, hash)
        }
    }
}
