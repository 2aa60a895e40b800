import Foundation
import GRDB
import HTTPCore

/// A filter over the audit trail, newest first.
public struct AuditFilter: Sendable, Equatable {
    public var eventType: String?
    public var userID: Int64?
    public var since: Date?
    public var until: Date?

    public init(eventType: String? = nil, userID: Int64? = nil, since: Date? = nil, until: Date? = nil) {
        self.eventType = eventType
        self.userID = userID
        self.since = since
        self.until = until
    }

    var whereClause: (sql: String, arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let eventType {
            conditions.append("event_type = ?")
            arguments += [eventType]
        }
        if let userID {
            conditions.append("user_id = ?")
            arguments += [userID]
        }
        if let since {
            conditions.append("created_at >= ?")
            arguments += [since.timeIntervalSince1970]
        }
        if let until {
            conditions.append("created_at < ?")
            arguments += [until.timeIntervalSince1970]
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), arguments)
    }
}

/// A stored audit event as the admin API and the CLI show it.
public struct StoredAuditEvent: Sendable, Encodable, Equatable {
    public var id: Int64
    public var eventType: String
    public var userID: Int64?
    /// The metadata exactly as stored: canonical JSON (sorted keys), so pages can copy it through.
    public var metadataJSON: String
    public var createdAt: Date

    /// The metadata decoded, for callers that look inside it.
    public var metadata: [String: AuditValue] {
        (try? Self.metadataDecoder.decode([String: AuditValue].self, from: Data(metadataJSON.utf8))) ?? [:]
    }

    enum CodingKeys: String, CodingKey {
        case id
        case eventType = "event_type"
        case userID = "user_id"
        case metadata = "event_metadata"
        case createdAt = "created_at"
    }

    /// Every key is always present (`"user_id": null`), as the contract's shape has it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(eventType, forKey: .eventType)
        try container.encode(userID, forKey: .userID)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
    }

    private static let metadataDecoder = JSONDecoder()

    /// The columns ``init(selected:)`` reads, in its order.
    static let selectedColumns = "id, event_type, user_id, metadata, created_at"

    /// From a row of ``selectedColumns``, by position: looking columns up by name cost a tenth
    /// of an audit page.
    init(selected row: Row) {
        id = row[0]
        eventType = row[1]
        userID = row[2]
        metadataJSON = row[3]
        createdAt = Date(timeIntervalSince1970: row[4]).wholeSeconds
    }
}

extension StoredAuditEvent {
    /// Appends this event as the API's JSON object (sorted keys, like ``JSONCoding/encoder``),
    /// copying the stored metadata instead of decoding and re-encoding it: a page of 100 events
    /// then costs a fraction of what `JSONEncoder` needs.
    func appendJSON(to buffer: inout [UInt8], timestamps: inout TimestampCache) {
        buffer += Array(
            "{\"created_at\":\"\(timestamps.string(for: createdAt.timeIntervalSince1970))\",\"event_metadata\":".utf8)
        buffer += Array(metadataJSON.utf8)
        buffer += Array(",\"event_type\":".utf8)
        JSONText.appendString(eventType, to: &buffer)
        buffer += Array(",\"id\":\(id),\"user_id\":\(userID.map(String.init) ?? "null")}".utf8)
    }
}

/// Pages of the audit trail for the admin API and `hh-auth audit list` (exports stream through ``AuditExport``).
public struct AuditQuery: Sendable {
    public init() {}

    public func page(_ filter: AuditFilter, limit: Int, offset: Int, in db: Database) throws -> (
        events: [StoredAuditEvent], total: Int
    ) {
        if filter == AuditFilter() { return try unfilteredPage(limit: limit, offset: offset, in: db) }
        let (clause, arguments) = filter.whereClause
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_events \(clause)", arguments: arguments) ?? 0
        // The offset is walked in the covering index (event_type, id) / (user_id, id) / created_at,
        // not in the table with its metadata.
        let events = try Self.events(
            db.makeStatement(
                sql: """
                    SELECT \(StoredAuditEvent.selectedColumns) FROM audit_events WHERE id IN
                        (SELECT id FROM audit_events \(clause) ORDER BY id DESC LIMIT ? OFFSET ?)
                    ORDER BY id DESC
                    """),
            arguments: arguments + [limit, offset], limit: limit)
        return (events, total)
    }

    /// Without a filter, neither counting nor skipping needs a scan: ids run without gaps from the
    /// prune anchor to the newest event (``AuditLog`` takes each id from `sqlite_sequence` in the
    /// writing transaction, pruning removes a prefix, and `hh-auth audit verify` checks exactly
    /// this), so the total is a subtraction and a page starts at a computed id.
    private func unfilteredPage(limit: Int, offset: Int, in db: Database) throws -> (
        events: [StoredAuditEvent], total: Int
    ) {
        let newest = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM audit_events")) ?? 0
        let anchor = try Int64.fetchOne(db.cachedStatement(sql: "SELECT anchor_id FROM audit_guard WHERE id = 1")) ?? 0
        let events = try Self.events(
            db.cachedStatement(
                sql:
                    "SELECT \(StoredAuditEvent.selectedColumns) FROM audit_events WHERE id <= ? ORDER BY id DESC LIMIT ?"
            ),
            arguments: [newest - Int64(offset), limit], limit: limit)
        return (events, max(0, Int(newest - anchor)))
    }

    /// Decoded straight off the statement's cursor: no copy of each row first.
    private static func events(_ statement: Statement, arguments: StatementArguments, limit: Int) throws
        -> [StoredAuditEvent]
    {
        var events: [StoredAuditEvent] = []
        events.reserveCapacity(limit)
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() { events.append(StoredAuditEvent(selected: row)) }
        return events
    }
}
