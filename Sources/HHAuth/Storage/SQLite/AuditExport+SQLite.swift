import Foundation
import GRDB
import HTTPCore

/// Streaming the audit trail out of SQLite: what the SQLite engine's audit reads call
/// (``SQLiteAudit``).
extension AuditExport {
    /// Writes every event matching `since` (oldest first) through `write`, in chunks.
    func export(format: Format, since: Date?, in db: Database, write: ([UInt8]) throws -> Void) throws -> Int {
        try AuditExportWriter.export(format: format, write: write) { writer in
            let cursor = try Row.fetchCursor(
                db,
                sql:
                    "SELECT id, event_type, user_id, metadata, created_at FROM audit_events WHERE created_at >= ? ORDER BY id",
                arguments: [since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude])
            while let row = try cursor.next() {
                try writer.append(
                    id: row["id"], type: row["event_type"], userID: row["user_id"], metadata: row["metadata"],
                    createdAt: row["created_at"])
            }
        }
    }
}
