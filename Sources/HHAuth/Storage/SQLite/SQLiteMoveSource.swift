import Foundation
import GRDB
import GRDBSQLite

/// A SQLite file as the source of a ``DataMove``: checked read-only and never migrated
/// (``DatabaseInspection``), then read in one `BEGIN IMMEDIATE` transaction that is rolled back:
/// moving changes nothing in it, and holding SQLite's one write lock for the copy keeps a service
/// that still runs from committing what the copy would miss (its writes wait for the lock, then
/// fail with 503 `busy`); what it writes after the move is the operator's to prevent (stop it).
/// The lock is taken without waiting: a writer that holds it (a service writing) is refused. A
/// file that cannot be opened for writing (a read-only backup, mount or directory) is read in one
/// read-only snapshot, as it was before the lock, and ``notes`` says so — unless its write-ahead
/// log holds something (``DataMoveError/sourceUnlockable(path:)``): a writer may be at work.
///
/// The read-only connection that checks the schema is closed before any connection that may
/// write opens: the last connection to close a file in WAL mode checkpoints and removes its
/// `-wal` and `-shm`, which a read-only one cannot do, so it must not be the last.
final class SQLiteMoveSource: DataMoveSource {
    private let path: String
    let identity: String
    private(set) var notes: [String] = []

    /// Throws ``StorageError`` for a path that holds no hh-auth database or one a newer hh-auth
    /// wrote, ``DataMoveError/sourceBehind(missing:)`` for one an older hh-auth left.
    init(path: String) throws {
        let inspection = try DatabaseInspection(path: path)
        defer { inspection.close() }
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

    /// Takes the write lock and lets it go at once: a file another connection is writing to is
    /// refused (``DataMoveError/sourceLocked``) before the target is made. The copy locks the file
    /// again for its whole length (``withSnapshot(_:)``).
    func refuseWhileInUse() throws {
        if case .readOnly = try underWriteLock({ _ in () }) { try refuseUnlessLogIsEmpty() }
    }

    /// On a connection of its own that may write (a read-only one cannot take the write lock),
    /// which waits for nothing: a lock another connection holds throws
    /// ``DataMoveError/sourceLocked`` at once, rather than the move waiting behind a running
    /// service that would go on writing after it.
    func withSnapshot<T>(_ body: (any DataMoveSnapshot) throws -> T) throws -> T {
        if case .copied(let value) = try underWriteLock(body) { return value }
        try refuseUnlessLogIsEmpty()
        notes.append(
            "the source \(path) cannot be opened for writing (a read-only file, mount or directory): read in one "
                + "snapshot without SQLite's write lock, so a service still writing to it would not be held off")
        let inspection = try DatabaseInspection(path: path)
        defer { inspection.close() }
        return try inspection.read { db in try body(SQLiteMoveSnapshot(db: db)) }
    }

    /// A file this process may not lock is copied only when no writer can be at work on it: a
    /// service writing (or one stopped without closing) leaves its `-wal` holding frames, which
    /// a clean close checkpoints and removes (or empties).
    private func refuseUnlessLogIsEmpty() throws {
        let log = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber
        if let log, log.intValue > 0 { throw DataMoveError.sourceUnlockable(path: path) }
    }

    /// The copy under the write lock, or `.readOnly` for a file this process may not write.
    /// Only opening and locking are looked at: what `body` throws is the copy's.
    private func underWriteLock<T>(_ body: (any DataMoveSnapshot) throws -> T) throws -> LockedRead<T> {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .immediateError
        configuration.label = "hh-auth.move-source"
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            try Self.sortOut(error)
            return .readOnly
        }
        return try queue.writeWithoutTransaction { db in
            guard sqlite3_db_readonly(db.sqliteConnection, "main") == 0 else { return .readOnly }
            do {
                try db.execute(sql: "BEGIN IMMEDIATE")
            } catch let error as DatabaseError {
                try Self.sortOut(error)
                return .readOnly
            }
            // Rolled back whatever happens (nothing was written); were the rollback to fail,
            // closing the connection just after ends the transaction all the same.
            defer { try? db.execute(sql: "ROLLBACK") }
            return .copied(try body(SQLiteMoveSnapshot(db: db)))
        }
    }

    /// Returns for an error that says the file cannot be written; throws
    /// ``DataMoveError/sourceLocked`` for a lock another connection holds, and any other error
    /// as it is.
    private static func sortOut(_ error: DatabaseError) throws {
        if error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED { throw DataMoveError.sourceLocked }
        guard cannotWrite(error) else { throw error }
    }

    /// What SQLite answers opening or locking a file this process may not write, or whose
    /// directory it may not write a `-journal`/`-wal` into.
    private static func cannotWrite(_ error: DatabaseError) -> Bool {
        [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM].contains(error.resultCode)
    }
}

/// What ``SQLiteMoveSource`` got under the write lock: the copy, or a file it may not write.
private enum LockedRead<T> {
    case copied(T)
    case readOnly
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
