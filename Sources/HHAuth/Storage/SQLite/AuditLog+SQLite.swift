import Foundation
import GRDB

/// ``AuditLog``'s operations on `audit_events` in SQLite's SQL, run in a transaction's `Database`: what
/// the SQLite engine's transactions call (``SQLiteEngine``).
extension AuditLog {
    @discardableResult
    func record(_ event: AuditEvent, in db: Database) throws -> Int64 {
        let metadata = String(decoding: try Self.metadataEncoder.encode(event.metadata), as: UTF8.self)
        let createdAt = clock.now().timeIntervalSince1970
        let previous =
            try String.fetchOne(db, sql: "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")
            ?? String.fetchOne(db, sql: "SELECT anchor_hash FROM audit_guard WHERE id = 1") ?? Self.genesis
        let id = (try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'") ?? 0) + 1
        let hash = Self.chainHash(
            previous: previous, id: id, type: event.type.rawValue, userID: event.userID, metadata: metadata,
            createdAt: createdAt)
        try db.execute(
            sql:
                "INSERT INTO audit_events (id, event_type, user_id, metadata, created_at, hash) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [id, event.type.rawValue, event.userID, metadata, createdAt, hash])
        return id
    }

    /// When the newest event was written, by `created_at` (indexed); `nil` without events.
    static func newestEventTime(in db: Database) throws -> Date? {
        try Double.fetchOne(db, sql: "SELECT max(created_at) FROM audit_events").map(Date.init(timeIntervalSince1970:))
    }
}
