/// The source of a ``DataMove``: a database opened without being changed, read in one snapshot.
protocol DataMoveSource: AnyObject {
    /// Names the database (the file, or the server, database and schema), for telling a target
    /// that is the same database apart.
    var identity: String { get }

    /// Throws ``DataMoveError/sourceInUse(sessions:janitorLeads:)`` while a running service
    /// may write to it (PostgreSQL); a SQLite source is locked for the copy instead
    /// (``withSnapshot(_:)``).
    func refuseWhileInUse() throws

    /// `body` in one transaction that no other writer can commit through: every read sees the
    /// same committed state, and nothing commits to the source until it ends (a SQLite file that
    /// cannot be opened for writing is read in one snapshot without that lock, and says so in
    /// ``notes``).
    func withSnapshot<T>(_ body: (any DataMoveSnapshot) throws -> T) throws -> T

    /// What the operator should know about how ``withSnapshot(_:)`` read the source.
    var notes: [String] { get }
}

/// The source's tables as one snapshot shows them.
protocol DataMoveSnapshot {
    /// The rows of `table` in its order (``MovedTable/orderBy``), handed over `batchSize` at a time
    /// so that a large table is never in memory at once.
    func rows(of table: MovedTable, batchSize: Int, _ body: ([[MovedValue]]) throws -> Void) throws

    /// The id counters and the audit chain's anchor and head.
    func sequenceState() throws -> MovedSequenceState
}

/// The target of a ``DataMove``: an empty database of this binary's schema, written in one
/// transaction.
protocol DataMoveTarget: AnyObject {
    /// As ``DataMoveSource/identity``; nil for a SQLite file that does not exist yet.
    var identity: String? { get }

    /// Brings the schema to this binary's (a SQLite file is created); throws
    /// ``StorageError/newerSchema`` for a database a newer hh-auth wrote, and, before it changes
    /// anything, ``StorageError/notHHAuth`` or ``DataMoveError/targetNotHHAuth(schema:holds:)``
    /// for another program's database, ``DataMoveError/targetNotEmpty(table:)`` for one that
    /// holds data.
    func migrate() throws

    /// Removes what ``migrate()`` created, when the target was not there before (a SQLite file
    /// that did not exist, a PostgreSQL schema that held nothing); a target that was hh-auth's
    /// already is left as it is. For a move that failed after ``migrate()``, whose connection to
    /// the target is idle. Removes nothing that may hold what is not the move's (a moved table
    /// with rows, another connection of a service started too early): nil once it removed
    /// everything (or had nothing to remove), otherwise what it left, why, and how to remove it.
    func removeWhatMigrateCreated() -> String?

    /// `body` in one write transaction, committed when it returns.
    func withTransaction<T>(_ body: (any DataMoveTransaction) throws -> T) throws -> T
}

/// The target's write transaction.
protocol DataMoveTransaction {
    /// Keeps other writers out until the end (a service started too early waits, or the move
    /// does), and reports the first table that holds a row.
    func firstTableHoldingData(_ tables: [MovedTable]) throws -> String?

    /// Inserts `rows`, ids included, as they are.
    func insert(_ rows: [[MovedValue]], into table: MovedTable) throws

    /// Sets the id counters and the chain's anchor and head.
    func restore(_ state: MovedSequenceState) throws

    /// `audit verify` on what the transaction holds.
    func verifyAuditChain() throws -> AuditChain.Verdict
}
