import Foundation
import GRDB
import HTTPCore

/// Streaming the audit trail out of SQLite: what the SQLite engine's audit reads call
/// (``SQLiteAudit``).
extension AuditExport {
    /// Writes every event matching `since` (oldest first) through `write`, in chunks.
    func export(format: Format, since: Date?, in db: Database, write: ([UInt8]) throws -> Void) throws -> Int {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 17)
        var count = 0
        var timestamps = TimestampCache()
        if format == .csv { buffer += Array("id,event_type,user_id,created_at,event_metadata\n".utf8) }
        let cursor = try Row.fetchCursor(
            db,
            sql:
                "SELECT id, event_type, user_id, metadata, created_at FROM audit_events WHERE created_at >= ? ORDER BY id",
            arguments: [since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude])
        while let row = try cursor.next() {
            let id: Int64 = row["id"]
            let type: String = row["event_type"]
            let userID: Int64? = row["user_id"]
            let metadata: String = row["metadata"]
            let created = timestamps.string(for: row["created_at"])
            switch format {
            case .jsonl:
                buffer += Array("{\"id\":\(id),\"event_type\":".utf8)
                JSONText.appendString(type, to: &buffer)
                buffer += Array(
                    ",\"user_id\":\(userID.map(String.init) ?? "null"),\"event_metadata\":\(metadata),\"created_at\":\"\(created)\"}\n"
                        .utf8)
            case .csv:
                buffer += Array("\(id),".utf8)
                CSVText.appendField(type, to: &buffer)
                buffer += Array(",\(userID.map(String.init) ?? ""),\(created),".utf8)
                CSVText.appendField(metadata, to: &buffer)
                buffer.append(10)
            }
            count += 1
            if buffer.count >= 1 << 16 {
                try write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try write(buffer) }
        return count
    }
}
