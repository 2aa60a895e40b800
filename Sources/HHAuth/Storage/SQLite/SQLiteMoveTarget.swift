import Foundation
import GRDB

/// A SQLite file as the target of a ``DataMove``: created (0600 under the command's umask) or
/// migrated by ``AppDatabase``, as `migrate` does, and written in one transaction of its writer.
final class SQLiteMoveTarget: DataMoveTarget {
    private let path: String
    private let stores: StoreSet
    private var database: AppDatabase?
    let identity: String?
    /// Whether ``migrate()`` made the file (it did not exist).
    private var created = false

    init(path: String, stores: StoreSet) {
        self.path = path
        self.stores = stores
        identity = SQLiteMoveSource.identity(ofFileAt: path)
    }

    /// A file that exists must be an hh-auth database (``StorageError/notHHAuth``): the move does
    /// not add its tables to another program's.
    func migrate() throws {
        created = identity == nil
        database = try AppDatabase(path: path, mustExist: !created)
    }

    /// The file it made, with its `-wal` and `-shm`, once its connections are closed: under an
    /// exclusive lock of the file that no other connection may hold open meanwhile (a `serve`
    /// started too early keeps a shared one while it is open), and only while every moved table
    /// is empty.
    func removeWhatMigrateCreated() -> String? {
        guard created else { return nil }
        created = false
        database = nil
        let reason: String
        do {
            guard let kept = try removeUnlessInUse() else { return nil }
            reason = kept
        } catch {
            reason = "removing it failed: \(error)"
        }
        return "the file the move made, \(path), is still there: \(reason), so it was not removed. See what uses it, "
            + "and remove it by hand (with its -wal and -shm) if it is not wanted"
    }

    /// Nil once the files are gone; otherwise why they stay.
    private func removeUnlessInUse() throws -> String? {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .immediateError
        // An exclusive lock of the file itself, not only of the log's writer, from the first
        // read on (a file in WAL mode): refused while any other connection has it open, and kept
        // until the connection closes.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.writeWithoutTransaction { db -> String? in
                try db.execute(sql: "BEGIN EXCLUSIVE")
                defer { try? db.execute(sql: "ROLLBACK") }
                for table in MovedTable.all {
                    if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table.name))") == true {
                        return "\(table.name) holds rows written since the move made it"
                    }
                }
                for suffix in ["", "-wal", "-shm", "-journal"]
                where FileManager.default.fileExists(atPath: path + suffix) {
                    try FileManager.default.removeItem(atPath: path + suffix)
                }
                return nil
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return "another connection has it open (a service started meanwhile?)"
        }
    }

    func withTransaction<T>(_ body: (any DataMoveTransaction) throws -> T) throws -> T {
        guard let database else { preconditionFailure("migrate() opens the target first") }
        return try database.write { db in try body(SQLiteMoveTransaction(db: db, stores: stores)) }
    }
}

/// The target file's write transaction.
struct SQLiteMoveTransaction: DataMoveTransaction {
    let db: Database
    let stores: StoreSet

    /// SQLite has one writer: once this transaction writes, no other can until it ends, and one
    /// that committed since it began makes its first write fail (a busy snapshot) instead of
    /// mixing in.
    func firstTableHoldingData(_ tables: [MovedTable]) throws -> String? {
        for table in tables {
            let holdsData = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table.name))")
            if holdsData == true { return table.name }
        }
        let anchor = try Int64.fetchOne(db, sql: "SELECT anchor_id FROM audit_guard WHERE id = 1") ?? 0
        return anchor == 0 ? nil : "audit_guard"
    }

    func insert(_ rows: [[MovedValue]], into table: MovedTable) throws {
        let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
        let statement = try db.cachedStatement(
            sql: "INSERT INTO \(table.name) (\(table.columnList)) VALUES (\(placeholders))")
        for row in rows {
            try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue)))
        }
    }

    private static func databaseValue(_ value: MovedValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .integer(let integer): integer.databaseValue
        case .real(let real): real.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let data): data.databaseValue
        case .flag(let flag): (flag ? 1 : 0 as Int64).databaseValue
        }
    }

    /// `sqlite_sequence` as the source's writes would have left it (a row per table that ever
    /// had one; the trail's mark is the chain head), and the chain's anchor.
    func restore(_ state: MovedSequenceState) throws {
        var marks = state.highWaterMarks
        marks["audit_events"] = state.headID
        for (table, mark) in marks.sorted(by: { $0.key < $1.key }) {
            try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = ?", arguments: [table])
            guard mark > 0 else { continue }
            try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", arguments: [table, mark])
        }
        try db.execute(
            sql: "UPDATE audit_guard SET pruning = 0, anchor_id = ?, anchor_hash = ? WHERE id = 1",
            arguments: [state.anchorID, state.anchorHash])
    }

    func verifyAuditChain() throws -> AuditChain.Verdict {
        try SQLiteAudit(db: db, stores: stores).verify()
    }
}
