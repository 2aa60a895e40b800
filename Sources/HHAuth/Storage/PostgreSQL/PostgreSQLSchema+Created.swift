extension PostgreSQLSchema {
    /// The tables the migrations create, the migrator's record among them: the moved tables and
    /// the bookkeeping PostgreSQL has. All that a move which failed removes from a schema it found
    /// empty (``PostgreSQLMoveTarget/removeWhatMigrateCreated()``), never another application's
    /// table; a test checks that a migrated schema holds exactly these.
    static let createdTables: [String] =
        MovedTable.all.map(\.name) + MovedTable.bookkeeping.subtracting(sqliteBookkeeping).sorted()

    /// The functions the migrations create (the triggers' bodies).
    static let createdFunctions = [
        "audit_events_append_only", "hh_session_changes_old", "hh_session_changes_new", "hh_session_changes_all",
    ]

    /// The bookkeeping only SQLite has: GRDB's record of migrations, `AUTOINCREMENT`'s counters.
    private static let sqliteBookkeeping: Set<String> = ["grdb_migrations", "sqlite_sequence"]
}
