import Foundation
import GRDB

/// Checking and pruning the hash chain in SQLite: what the SQLite engine's audit reads and writes
/// call (``SQLiteAudit``).
extension AuditChain {
    /// Walks the trail oldest first, from the anchor a prune left (or the genesis hash).
    func verify(in db: Database) throws -> Verdict {
        var previous =
            try String.fetchOne(db, sql: "SELECT anchor_hash FROM audit_guard WHERE id = 1") ?? AuditLog.genesis
        var expectedID = (try Int64.fetchOne(db, sql: "SELECT anchor_id FROM audit_guard WHERE id = 1") ?? 0) + 1
        var count = 0
        let rows = try Row.fetchCursor(
            db, sql: "SELECT id, event_type, user_id, metadata, created_at, hash FROM audit_events ORDER BY id")
        while let row = try rows.next() {
            let id: Int64 = row["id"]
            let stored: String = row["hash"]
            let recomputed = AuditLog.chainHash(
                previous: previous, id: id, type: row["event_type"], userID: row["user_id"], metadata: row["metadata"],
                createdAt: row["created_at"])
            // A gap in the ids is a deleted event even if the next hash was forged to match.
            guard id == expectedID, recomputed == stored else { return .broken(eventID: id, checked: count) }
            previous = stored
            expectedID = id + 1
            count += 1
        }
        return .intact(count: count)
    }

    /// Deletes events older than `before` — the only way events ever leave — and records an
    /// `audit_pruned` event with the count and the anchor the chain now starts from.
    func prune(before: Date, actor: AdminActor, in db: Database) throws -> Int {
        guard
            let lastID = try Int64.fetchOne(
                db, sql: "SELECT max(id) FROM audit_events WHERE created_at < ?",
                arguments: [before.timeIntervalSince1970])
        else { return 0 }
        guard
            let anchorHash = try String.fetchOne(
                db, sql: "SELECT hash FROM audit_events WHERE id = ?", arguments: [lastID])
        else {
            return 0
        }
        try db.execute(sql: "UPDATE audit_guard SET pruning = 1 WHERE id = 1")
        try db.execute(sql: "DELETE FROM audit_events WHERE id <= ?", arguments: [lastID])
        let count = db.changesCount
        try db.execute(
            sql: "UPDATE audit_guard SET pruning = 0, anchor_id = ?, anchor_hash = ? WHERE id = 1",
            arguments: [lastID, anchorHash])
        try audit.record(
            AuditEvent(
                .auditPruned,
                metadata: actor.metadata([
                    "count": .integer(Int64(count)), "anchor_id": .integer(lastID), "anchor_hash": .string(anchorHash),
                    "before": .string(ISO8601DateFormatter().string(from: before)),
                ])),
            in: db)
        return count
    }
}
