import Crypto
import Foundation
import GRDB

/// Writes audit events inside the caller's transaction, so an event exists exactly when the change
/// it describes does. Each row stores a SHA-256 chained to the previous row's hash, which makes
/// edits and deletions made behind our back detectable (`hh-auth audit verify`).
public struct AuditLog: Sendable {
    let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }

    /// The hash that precedes the first event.
    static let genesis = String(repeating: "0", count: 64)

    static let metadataEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    @discardableResult
    public func record(_ event: AuditEvent, in db: Database) throws -> Int64 {
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

    static func chainHash(
        previous: String, id: Int64, type: String, userID: Int64?, metadata: String, createdAt: Double
    ) -> String {
        let text = [previous, String(id), type, userID.map(String.init) ?? "", metadata, String(createdAt)].joined(
            separator: "\u{1F}")
        return Hex.encode(SHA256.hash(data: Data(text.utf8)))
    }
}
