import Foundation
import PostgreSQL

/// A PostgreSQL database as the source of a ``DataMove``: its schema checked, never migrated,
/// refused while hh-auth uses it, and read in one `REPEATABLE READ READ ONLY` transaction (one
/// snapshot), each table through a cursor so that only a batch of rows is in memory at a time.
final class PostgreSQLMoveSource: DataMoveSource {
    private let connection: PGConnection
    let identity: String
    let notes: [String] = []

    /// Throws ``StorageError/newerSchema`` for a database a newer hh-auth wrote,
    /// ``DataMoveError/sourceBehind(missing:)`` for one an older one left,
    /// ``DataMoveError/sourceNotHHAuth`` for one without hh-auth's schema.
    init(_ connectionString: PGConnectionString) throws {
        connection = try Self.connect(connectionString)
        identity = try Self.identity(of: connection)
        let recorded = try connection.execute("SELECT to_regclass('hh_auth_migrations') IS NOT NULL").first?.bool(0)
        guard recorded == true else { throw DataMoveError.sourceNotHHAuth }
        let applied = try PostgreSQLMigrator.appliedIdentifiers(connection)
        let known = PostgreSQLSchema.identifiers
        guard applied.allSatisfy(known.contains) else { throw StorageError.newerSchema }
        let missing = known.filter { !applied.contains($0) }
        guard missing.isEmpty else { throw DataMoveError.sourceBehind(missing: missing) }
    }

    deinit { connection.close() }

    /// A connection whose doubles come out as exactly the doubles stored (the audit chain's
    /// hashes cover `created_at`'s digits; servers before 12 print fewer by default).
    static func connect(_ connectionString: PGConnectionString) throws -> PGConnection {
        let connection = try PGConnection(connectionString)
        try connection.execute("SET extra_float_digits = 3")
        return connection
    }

    /// The server (its start time and port), database and schema: two connection strings that
    /// name one schema of one running server are one database however they spell it.
    static func identity(of connection: PGConnection) throws -> String {
        let row = try connection.execute(
            """
            SELECT pg_postmaster_start_time()::text, current_setting('port'), current_database(),
                coalesce(current_schema(), '')
            """
        ).first
        guard let row else { throw PGError(.other, "the server did not say who it is") }
        return try (0..<4).map { try row.string($0) ?? "" }.joined(separator: " ")
    }

    /// A service's connections carry `application_name` hh-auth (``PGConnectionDefaults/engine``);
    /// a node's janitor holds the schema's advisory lock (``PostgreSQLJanitorLock``) on a
    /// connection that may not (an older node, a connection string naming itself otherwise). The
    /// application names are per database: a deployment in another schema of it counts too, and
    /// so does any hh-auth command on it (`doctor`, `cleanup`). The error names each session (pid,
    /// address, start, name), so that a stale backend or a cron job can be told from a node. (A
    /// node started after this check cannot commit either: ``withSnapshot(_:)``.)
    func refuseWhileInUse() throws {
        let (sessions, janitorLeads) = try Self.hhAuthSessions(on: connection)
        guard sessions.isEmpty && !janitorLeads else {
            throw DataMoveError.sourceInUse(sessions: sessions, janitorLeads: janitorLeads)
        }
    }

    /// The other sessions of hh-auth's on `connection`'s database (named so, or holding the
    /// janitor's lock on its schema), and whether a janitor leads on its schema: what keeps a
    /// source in use (``refuseWhileInUse()``), and a target's tables from being removed
    /// (``PostgreSQLMoveTarget/removeWhatMigrateCreated()``).
    static func hhAuthSessions(on connection: PGConnection) throws -> (sessions: [SourceSession], janitorLeads: Bool) {
        let key = PGParameter.int64(Int64(PostgreSQLJanitorLock.lockKey))
        let janitor = """
            SELECT pid FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 2
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid = $1::integer::oid AND objid = hashtext(current_schema())::oid
            """
        let sessions = try connection.execute(
            """
            SELECT a.pid, a.application_name, host(a.client_addr), date_trunc('second', a.backend_start)::text,
                a.pid IN (\(janitor))
            FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
              AND (a.application_name LIKE $2 OR a.pid IN (\(janitor)))
            ORDER BY a.backend_start, a.pid
            """,
            [key, .text(PGConnectionDefaults.applicationName + "%")]
        ).map { row in
            SourceSession(
                pid: Int(try row.integer(0)), applicationName: try row.string(1) ?? "",
                clientAddress: try row.string(2),
                backendStart: try row.string(3), leadsJanitor: try row.flag(4))
        }
        let janitorLeads = try connection.execute("SELECT EXISTS (\(janitor))", [key]).first?.flag(0) ?? false
        return (sessions, janitorLeads)
    }

    /// The moved tables are locked `SHARE` before the snapshot is taken: a writer that appears
    /// after ``refuseWhileInUse()`` (a service started meanwhile, a `psql`) waits until the copy
    /// ended, or gives up at its `lock_timeout`, instead of committing what the copy would miss.
    func withSnapshot<T>(_ body: (any DataMoveSnapshot) throws -> T) throws -> T {
        try connection.transaction(isolation: .repeatableRead) { connection in
            try connection.execute("SET TRANSACTION READ ONLY")
            try connection.execute("SET LOCAL lock_timeout = '10s'")
            let tables = (MovedTable.all.map(\.name) + ["audit_guard"]).joined(separator: ", ")
            try connection.execute("LOCK TABLE \(tables) IN SHARE MODE")
            return try body(PostgreSQLMoveSnapshot(connection: connection))
        }
    }
}

/// The source database's tables in the read transaction.
struct PostgreSQLMoveSnapshot: DataMoveSnapshot {
    let connection: PGConnection

    func rows(of table: MovedTable, batchSize: Int, _ body: ([[MovedValue]]) throws -> Void) throws {
        try connection.execute(
            """
            DECLARE hh_auth_move NO SCROLL CURSOR FOR
            SELECT \(table.columnList) FROM \(table.name) ORDER BY \(table.orderBy)
            """)
        while true {
            let result = try connection.execute("FETCH FORWARD \(batchSize) FROM hh_auth_move")
            guard !result.isEmpty else { break }
            try body(
                try result.map { row in
                    try table.columns.enumerated().map { index, column in try Self.value(row, index, column.kind) }
                })
        }
        try connection.execute("CLOSE hh_auth_move")
    }

    private static func value(_ row: PGRow, _ index: Int, _ kind: MovedTable.Kind) throws -> MovedValue {
        guard !(try row.isNull(index)) else { return .null }
        switch kind {
        case .integer: return .integer(try row.integer(index))
        case .real: return .real(try row.real(index))
        case .text: return .text(try row.text(index))
        case .blob: return .blob(try row.data(index) ?? Data())
        case .flag: return .flag(try row.flag(index))
        }
    }

    /// Each identity's sequence (its last value once handed out; one below its start before), and
    /// the chain's guard row.
    func sequenceState() throws -> MovedSequenceState {
        var marks: [String: Int64] = [:]
        for table in MovedTable.all where table.hasIdentity {
            guard
                let sequence = try connection.execute(
                    "SELECT pg_get_serial_sequence($1, 'id')", [.text(table.name)]
                ).first?.string(0),
                let row = try connection.execute("SELECT last_value, is_called FROM \(sequence)").first
            else { throw PGError(.other, "\(table.name).id has no identity sequence") }
            let last = try row.integer(0)
            marks[table.name] = try row.flag(1) ? last : last - 1
        }
        guard
            let chain = try connection.execute(
                "SELECT anchor_id, anchor_hash, head_id, head_hash FROM audit_guard WHERE id = 1"
            ).first
        else { throw PGError(.other, "audit_guard has no row") }
        return MovedSequenceState(
            highWaterMarks: marks, anchorID: try chain.integer(0), anchorHash: try chain.text(1),
            headID: try chain.integer(2), headHash: try chain.text(3))
    }
}
