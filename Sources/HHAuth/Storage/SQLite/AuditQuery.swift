import Foundation
import GRDB
import HTTPCore

/// The filter as SQL, its values bound.
extension AuditFilter {
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

/// What the page statements select, and the event read back from it.
extension StoredAuditEvent {
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

/// Pages of the audit trail in SQLite, for the SQLite engine's audit reads (``SQLiteAudit``): the
/// admin API and `hh-auth audit list` (exports stream through ``AuditExport``).
struct AuditQuery: Sendable {
    init() {}

    func page(_ filter: AuditFilter, limit: Int, offset: Int, in db: Database) throws -> (
        events: [StoredAuditEvent], total: Int
    ) {
        let query = try pageQuery(filter, limit: limit, offset: offset, in: db)
        var events: [StoredAuditEvent] = []
        events.reserveCapacity(limit)
        // Decoded straight off the statement's cursor: no copy of each row first.
        let rows = try Row.fetchCursor(query.statement, arguments: query.arguments)
        while let row = try rows.next() { events.append(StoredAuditEvent(selected: row)) }
        return (events, query.total)
    }

    /// The same page as the admin API sends it: the events appended to `json` as a JSON array,
    /// each written from the statement's columns (``AuditEventJSON``); returns the total.
    func appendPageJSON(
        _ filter: AuditFilter, limit: Int, offset: Int, in db: Database, to json: inout [UInt8]
    ) throws -> Int {
        let query = try pageQuery(filter, limit: limit, offset: offset, in: db)
        json.append(UInt8(ascii: "["))
        let rows = try Row.fetchCursor(query.statement, arguments: query.arguments)
        var first = true
        while try rows.next() != nil {
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
            try AuditEventJSON.append(row: query.statement.sqliteStatement, to: &json)
        }
        json.append(UInt8(ascii: "]"))
        return query.total
    }

    /// The statement that selects the page (``StoredAuditEvent/selectedColumns``, newest first)
    /// with its arguments, and the total of events matching `filter`.
    private func pageQuery(_ filter: AuditFilter, limit: Int, offset: Int, in db: Database) throws -> (
        statement: Statement, arguments: StatementArguments, total: Int
    ) {
        if filter == AuditFilter() { return try unfilteredPageQuery(limit: limit, offset: offset, in: db) }
        let (clause, arguments) = filter.whereClause
        // Each SQL here is one of 16 (which filters are set; the values are bound), so the
        // prepared statements are cached.
        let total =
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM audit_events \(clause)"), arguments: arguments) ?? 0
        // The offset is walked in the covering index (event_type, id) / (user_id, id) / created_at,
        // not in the table with its metadata.
        let statement = try db.cachedStatement(
            sql: """
                SELECT \(StoredAuditEvent.selectedColumns) FROM audit_events WHERE id IN
                    (SELECT id FROM audit_events \(clause) ORDER BY id DESC LIMIT ? OFFSET ?)
                ORDER BY id DESC
                """)
        return (statement, arguments + [limit, offset], total)
    }

    /// Without a filter, neither counting nor skipping needs a scan: ids run without gaps from the
    /// prune anchor to the newest event (``AuditLog`` takes each id from `sqlite_sequence` in the
    /// writing transaction, pruning removes a prefix, and `hh-auth audit verify` checks exactly
    /// this), so the total is a subtraction and a page starts at a computed id.
    private func unfilteredPageQuery(limit: Int, offset: Int, in db: Database) throws -> (
        statement: Statement, arguments: StatementArguments, total: Int
    ) {
        let total = try Int.fetchOne(db.cachedStatement(sql: Self.unfilteredTotalSQL)) ?? 0
        return (try db.cachedStatement(sql: Self.unfilteredPageSQL), [offset, limit], max(0, total))
    }

    /// The newest id less the prune anchor (no event yet: 0).
    private static let unfilteredTotalSQL = """
        SELECT coalesce((SELECT max(id) FROM audit_events), 0)
            - coalesce((SELECT anchor_id FROM audit_guard WHERE id = 1), 0)
        """

    /// From the id `offset` below the newest (the subquery runs once; no event yet: no row).
    private static let unfilteredPageSQL = """
        SELECT \(StoredAuditEvent.selectedColumns) FROM audit_events
        WHERE id <= (SELECT max(id) FROM audit_events) - ? ORDER BY id DESC LIMIT ?
        """
}
