import Foundation
import HTTPCore
import PostgreSQL

/// ``AuditReads`` and ``AuditWrites`` on PostgreSQL: the hash-chained trail in `audit_events`.
///
/// Appends are serialized across nodes on the chain head's row: ``record(_:)`` keeps the event,
/// and just before the use case's transaction commits (``PostgreSQLAuditAppends``) the engine
/// locks `audit_guard` (`FOR UPDATE`), takes the next id and the previous hash from it, inserts,
/// and moves the head. Ids stay gap-free, as `audit verify` demands, because the id is taken
/// under the lock inside the transaction that may still roll back (a sequence would leave a
/// rolled-back id as a gap). Export and verify read the trail in batches of ``batchSize``
/// (keyset: `id > last`), all in the read transaction's one snapshot. Reads are the SQLite
/// engine's (`AuditQuery`, `AuditExport+SQLite`, `AuditChain+SQLite`) in PostgreSQL's SQL, with
/// the same bytes out.
struct PostgreSQLAudit: AuditReads, AuditWrites {
    let connection: PGConnection
    let stores: StoreSet
    /// The write transaction's events, appended before its `COMMIT`; nil in a read transaction.
    var appends: PostgreSQLAuditAppends? = nil
    private var log: AuditLog { stores.audit }

    /// How many events one statement of export and verify reads.
    static let batchSize = 1_000

    func record(_ event: AuditEvent) throws {
        guard let appends else { throw PGError(.other, "an audit event recorded outside a write transaction") }
        try appends.record(event, createdAt: log.clock.now().timeIntervalSince1970)
    }

    /// Deletes the events older than `before` under the guard's `pruning` flag (which the
    /// append-only trigger lets deletes through for), moves the anchor, and records `audit_pruned`.
    /// The guard is locked first: a prune that read the events before another one committed would
    /// move the anchor back onto an event that is gone.
    func prune(before: Date, actor: AdminActor) throws -> Int {
        try connection.execute("SELECT 1 FROM audit_guard WHERE id = 1 FOR UPDATE")
        guard
            let lastID = try connection.execute(
                "SELECT max(id) FROM audit_events WHERE created_at < $1", [.double(before.timeIntervalSince1970)]
            ).first?.int64(0),
            let anchorHash = try connection.execute("SELECT hash FROM audit_events WHERE id = $1", [.int64(lastID)])
                .first?.string(0)
        else { return 0 }
        try connection.execute("UPDATE audit_guard SET pruning = true WHERE id = 1")
        let count = try connection.execute("DELETE FROM audit_events WHERE id <= $1", [.int64(lastID)]).affectedRows
        try connection.execute(
            "UPDATE audit_guard SET pruning = false, anchor_id = $1, anchor_hash = $2 WHERE id = 1",
            [.int64(lastID), .text(anchorHash)])
        try record(
            AuditEvent(
                .auditPruned,
                metadata: actor.metadata([
                    "count": .integer(Int64(count)), "anchor_id": .integer(lastID), "anchor_hash": .string(anchorHash),
                    "before": .string(ISO8601DateFormatter().string(from: before)),
                ])))
        return count
    }

    /// Walks the chain oldest first from the prune anchor; a gap in the ids is a deleted event.
    func verify() throws -> AuditChain.Verdict {
        guard let guardRow = try connection.execute("SELECT anchor_id, anchor_hash FROM audit_guard WHERE id = 1").first
        else { throw PGError(.other, "audit_guard has no row") }
        var expectedID = try guardRow.integer(0) + 1
        var previous = try guardRow.text(1)
        var count = 0
        var last = Int64.min
        while true {
            let rows = try connection.execute(
                """
                SELECT id, event_type, user_id, metadata, created_at, hash FROM audit_events
                WHERE id > $1 ORDER BY id LIMIT $2
                """, [.int64(last), .int64(Int64(Self.batchSize))])
            for row in rows {
                let id = try row.integer(0)
                let stored = try row.text(5)
                let recomputed = AuditLog.chainHash(
                    previous: previous, id: id, type: try row.text(1), userID: try row.int64(2),
                    metadata: try row.text(3), createdAt: try row.real(4))
                guard id == expectedID, recomputed == stored else { return .broken(eventID: id, checked: count) }
                previous = stored
                expectedID = id + 1
                last = id
                count += 1
            }
            if rows.count < Self.batchSize { return .intact(count: count) }
        }
    }

    func page(_ filter: AuditFilter, limit: Int, offset: Int) throws -> (events: [StoredAuditEvent], total: Int) {
        let query = try pageQuery(filter, limit: limit, offset: offset)
        let events = try query.rows.map { row in
            StoredAuditEvent(
                id: try row.integer(0), eventType: try row.text(1), userID: try row.int64(2),
                metadataJSON: try row.text(3), createdAt: Date(timeIntervalSince1970: try row.real(4)).wholeSeconds)
        }
        return (events, query.total)
    }

    /// The admin API's JSON for the page, the bytes the SQLite engine writes (sorted keys, the
    /// stored metadata copied through).
    func appendPageJSON(_ filter: AuditFilter, limit: Int, offset: Int, to json: inout [UInt8]) throws -> Int {
        let query = try pageQuery(filter, limit: limit, offset: offset)
        json.append(UInt8(ascii: "["))
        for (index, row) in query.rows.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += Array(#"{"created_at":""#.utf8)
            let createdAt = Date(timeIntervalSince1970: try row.real(4)).timeIntervalSince1970
            JSONText.appendTimestamp(unixSeconds: JSONText.wholeSeconds(createdAt), to: &json)
            json += Array(#"","event_metadata":"#.utf8)
            json += Array(try row.text(3).utf8)
            json += Array(#","event_type":"#.utf8)
            JSONText.appendString(try row.text(1), to: &json)
            json += Array(#","id":"#.utf8)
            JSONText.appendInteger(try row.integer(0), to: &json)
            json += Array(#","user_id":"#.utf8)
            if let userID = try row.int64(2) {
                JSONText.appendInteger(userID, to: &json)
            } else {
                json += Array("null".utf8)
            }
            json.append(UInt8(ascii: "}"))
        }
        json.append(UInt8(ascii: "]"))
        return query.total
    }

    func export(format: AuditExport.Format, since: Date?, write: ([UInt8]) throws -> Void) throws -> Int {
        try AuditExportWriter.export(format: format, write: write) { writer in
            var last = Int64.min
            while true {
                let rows = try connection.execute(
                    """
                    SELECT id, event_type, user_id, metadata, created_at FROM audit_events
                    WHERE created_at >= $1 AND id > $2 ORDER BY id LIMIT $3
                    """,
                    [
                        .double(since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude), .int64(last),
                        .int64(Int64(Self.batchSize)),
                    ])
                for row in rows {
                    last = try row.integer(0)
                    try writer.append(
                        id: last, type: try row.text(1), userID: try row.int64(2), metadata: try row.text(3),
                        createdAt: try row.real(4))
                }
                if rows.count < Self.batchSize { return }
            }
        }
    }

    /// The page's rows (`id, event_type, user_id, metadata, created_at`, newest first) and the
    /// total matching `filter`. Without a filter the total is a subtraction, as on SQLite: ids
    /// run without gaps from the prune anchor to the newest event.
    private func pageQuery(_ filter: AuditFilter, limit: Int, offset: Int) throws -> (rows: PGResult, total: Int) {
        let columns = "id, event_type, user_id, metadata, created_at"
        if filter == AuditFilter() {
            let total =
                try connection.execute(
                    """
                    SELECT coalesce((SELECT max(id) FROM audit_events), 0)
                        - coalesce((SELECT anchor_id FROM audit_guard WHERE id = 1), 0)
                    """
                ).first?.int64(0) ?? 0
            let rows = try connection.execute(
                """
                SELECT \(columns) FROM audit_events WHERE id <= (SELECT max(id) FROM audit_events) - $1
                ORDER BY id DESC LIMIT $2
                """,
                [.int64(Int64(offset)), .int64(Int64(limit))])
            return (rows, max(0, Int(total)))
        }
        var conditions: [String] = []
        var parameters: [PGParameter] = []
        func condition(_ sql: String, _ value: PGParameter) {
            parameters.append(value)
            conditions.append(sql + " $\(parameters.count)")
        }
        if let eventType = filter.eventType { condition("event_type =", .text(eventType)) }
        if let userID = filter.userID { condition("user_id =", .int64(userID)) }
        if let since = filter.since { condition("created_at >=", .double(since.timeIntervalSince1970)) }
        if let until = filter.until { condition("created_at <", .double(until.timeIntervalSince1970)) }
        let clause = "WHERE " + conditions.joined(separator: " AND ")
        let total = try connection.execute("SELECT count(*) FROM audit_events \(clause)", parameters).first?.int64(0)
        let n = parameters.count
        let rows = try connection.execute(
            "SELECT \(columns) FROM audit_events \(clause) ORDER BY id DESC LIMIT $\(n + 1) OFFSET $\(n + 2)",
            parameters + [PGParameter.int64(Int64(limit)), PGParameter.int64(Int64(offset))])
        return (rows, Int(total ?? 0))
    }
}
