import Foundation
import PostgreSQL

/// The audit events a write transaction recorded, appended to the chain just before its `COMMIT`.
///
/// Appending locks the chain's head (`audit_guard`, `FOR UPDATE`), which serializes appends across
/// nodes and keeps ids gap-free. Taken in the middle of a transaction, that lock deadlocked with
/// transactions that lock rows first and append last (a logout locks the guard and then a
/// session; an admin's end-session the session and then the guard). Taken last by everyone, the
/// guard is never held while waiting for a row: its holder only appends and commits.
final class PostgreSQLAuditAppends {
    private let connection: PGConnection
    /// Each event as recorded: its time is when ``record(_:createdAt:)`` was called.
    private var pending: [(event: AuditEvent, metadata: String, createdAt: Double)] = []

    init(connection: PGConnection) {
        self.connection = connection
    }

    /// Keeps the event for ``flush()``.
    func record(_ event: AuditEvent, createdAt: Double) throws {
        let metadata = String(decoding: try AuditLog.metadataEncoder.encode(event.metadata), as: UTF8.self)
        pending.append((event, metadata, createdAt))
    }

    /// Appends the recorded events under the head's lock, each chained to the one before.
    func flush() throws {
        guard !pending.isEmpty else { return }
        guard
            let head = try connection.execute("SELECT head_id, head_hash FROM audit_guard WHERE id = 1 FOR UPDATE")
                .first
        else { throw PGError(.other, "audit_guard has no row") }
        var id = try head.integer(0)
        var hash = try head.text(1)
        for (event, metadata, createdAt) in pending {
            id += 1
            hash = AuditLog.chainHash(
                previous: hash, id: id, type: event.type.rawValue, userID: event.userID, metadata: metadata,
                createdAt: createdAt)
            let parameters: [PGParameter] = [
                .int64(id), .text(event.type.rawValue), PGParameter(event.userID), .text(metadata),
                .double(createdAt), .text(hash),
            ]
            try connection.execute(
                """
                INSERT INTO audit_events (id, event_type, user_id, metadata, created_at, hash)
                VALUES ($1, $2, $3, $4, $5, $6)
                """, parameters)
        }
        try connection.execute(
            "UPDATE audit_guard SET head_id = $1, head_hash = $2 WHERE id = 1", [.int64(id), .text(hash)])
        pending = []
    }
}
