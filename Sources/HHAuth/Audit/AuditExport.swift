import Foundation
import GRDB
import HTTPCore

/// Streams audit events as JSON Lines or CSV without holding them in memory.
///
/// Metadata is stored as canonical JSON already, so it is copied through rather than decoded and
/// re-encoded: that is what keeps an export of millions of events fast.
public struct AuditExport: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl
        case csv
    }

    public init() {}

    /// Writes every event matching `since` (oldest first) through `write`, in chunks.
    public func export(format: Format, since: Date?, in db: Database, write: ([UInt8]) throws -> Void) throws -> Int {
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

/// RFC 3339 strings for Unix times, formatting each distinct second once.
struct TimestampCache {
    private var second = Int64.min
    private var text = ""

    mutating func string(for time: Double) -> String {
        let whole = JSONText.wholeSeconds(time)
        if whole != second {
            second = whole
            text = JSONText.timestamp(unixSeconds: whole)
        }
        return text
    }
}

enum CSVText {
    /// Quotes every field that needs it; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
    /// spreadsheet does not run it as a formula.
    static func appendField(_ text: String, to buffer: inout [UInt8]) {
        var field = text
        if let first = field.first, "=+-@".contains(first) { field = "'" + field }
        let special: Set<UInt8> = [44, 34, 10, 13]
        let needsQuotes = field.utf8.contains { special.contains($0) }
        guard needsQuotes else {
            buffer += Array(field.utf8)
            return
        }
        buffer.append(34)
        for byte in field.utf8 {
            if byte == 34 { buffer.append(34) }
            buffer.append(byte)
        }
        buffer.append(34)
    }
}
