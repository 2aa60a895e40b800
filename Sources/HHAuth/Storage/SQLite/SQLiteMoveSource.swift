import Foundation
import GRDB

/// A SQLite file as the source of a ``DataMove``: checked read-only and never migrated
/// (``DatabaseInspection``), then read in one `BEGIN IMMEDIATE` transaction that is rolled back:
/// moving changes nothing in it, and holding SQLite's one write lock for the copy keeps a service
/// that still runs from committing what the copy would miss (its writes wait for the lock, then
/// fail with 503 `busy`); what it writes after the move is the operator's to prevent (stop it).
final class SQLiteMoveSource: DataMoveSource {
    private let path: String
    let identity: String

    /// Throws ``StorageError`` for a path that holds no hh-auth database or one a newer hh-auth
    /// wrote, ``DataMoveError/sourceBehind(missing:)`` for one an older hh-auth left.
    init(path: String) throws {
        let inspection = try DatabaseInspection(path: path)
        let status = try inspection.schemaStatus()
        guard status.unknown.isEmpty else { throw StorageError.newerSchema }
        guard status.missing.isEmpty else { throw DataMoveError.sourceBehind(missing: status.missing) }
        guard let identity = Self.identity(ofFileAt: path) else { throw StorageError.unreadable }
        self.identity = identity
        self.path = path
    }

    /// The file's device and inode: one file under two paths (a link, `./`) is one database.
    static func identity(ofFileAt path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return "sqlite \(status.st_dev) \(status.st_ino)"
    }

    /// Nothing to ask: the copy locks the file against writers instead (``withSnapshot(_:)``).
    func refuseWhileInUse() {}

    /// On a connection of its own that may write (a read-only one cannot take the write lock);
    /// it waits for a service's write in progress as long as the service waits for others.
    func withSnapshot<T>(_ body: (any DataMoveSnapshot) throws -> T) throws -> T {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(AppDatabase.defaultBusyTimeoutSeconds)
        configuration.label = "hh-auth.move-source"
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return try queue.writeWithoutTransaction { db in
            var value: T?
            try db.inTransaction(.immediate) {
                value = try body(SQLiteMoveSnapshot(db: db))
                return .rollback
            }
            guard let value else { preconditionFailure("the transaction ran its body") }
            return value
        }
    }
}

/// The source file's tables in the read transaction.
struct SQLiteMoveSnapshot: DataMoveSnapshot {
    let db: Database

    func rows(of table: MovedTable, batchSize: Int, _ body: ([[MovedValue]]) throws -> Void) throws {
        let rows = try Row.fetchCursor(
            db, sql: "SELECT \(table.columnList) FROM \(table.name) ORDER BY \(table.orderBy)")
        var batch: [[MovedValue]] = []
        batch.reserveCapacity(batchSize)
        while let row = try rows.next() {
            batch.append(
                try table.columns.enumerated().map { index, column in
                    try Self.value(row[index], of: column, in: table)
                })
            if batch.count == batchSize {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    /// SQLite's value as the column's kind. SQLite lets any column hold any type; hh-auth never
    /// stores one of another type, so such a value is refused rather than guessed at.
    private static func value(_ value: DatabaseValue, of column: MovedTable.Column, in table: MovedTable) throws
        -> MovedValue
    {
        switch (value.storage, column.kind) {
        case (.null, _): return .null
        case (.int64(let integer), .integer): return .integer(integer)
        case (.int64(let integer), .flag): return .flag(integer != 0)
        case (.int64(let integer), .real): return .real(Double(integer))
        case (.double(let real), .real): return .real(real)
        case (.string(let text), .text): return .text(text)
        case (.blob(let data), .blob): return .blob(data)
        default: throw DataMoveError.unexpectedValue(table: table.name, column: column.name)
        }
    }

    func sequenceState() throws -> MovedSequenceState {
        var marks: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, seq FROM sqlite_sequence") {
            let name: String = row[0]
            let mark: Int64 = row[1]
            marks[name] = max(marks[name] ?? 0, mark)
        }
        let anchorID = try Int64.fetchOne(db, sql: "SELECT anchor_id FROM audit_guard WHERE id = 1") ?? 0
        let anchorHash =
            try String.fetchOne(db, sql: "SELECT anchor_hash FROM audit_guard WHERE id = 1") ?? AuditLog.genesis
        // As SQLite's append reads it (``AuditLog/record(_:in:)``): the next id is the trail's
        // mark plus one, chained to the newest event, or to the anchor when there is none.
        let newestHash = try String.fetchOne(db, sql: "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")
        let identities = MovedTable.all.filter(\.hasIdentity).map(\.name)
        return MovedSequenceState(
            highWaterMarks: Dictionary(uniqueKeysWithValues: identities.map { ($0, marks[$0] ?? 0) }),
            anchorID: anchorID, anchorHash: anchorHash, headID: max(marks["audit_events"] ?? 0, anchorID),
            headHash: newestHash ?? anchorHash)
    }
}
