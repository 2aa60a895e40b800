import Foundation
import PostgreSQL

/// A PostgreSQL database as the target of a ``DataMove``: its schema checked (empty, or hh-auth's
/// without data), migrated as `serve` would (``PostgreSQLMigrator``), then written in one
/// transaction that locks the domain's tables against other writers first.
final class PostgreSQLMoveTarget: DataMoveTarget {
    private let connection: PGConnection
    private let stores: StoreSet
    let identity: String?
    /// Whether the schema held nothing before ``migrate()``: hh-auth's tables in it are the move's.
    private var createdSchema = false

    init(_ connectionString: PGConnectionString, stores: StoreSet) throws {
        connection = try PostgreSQLMoveSource.connect(connectionString)
        self.stores = stores
        identity = try PostgreSQLMoveSource.identity(of: connection)
    }

    deinit { connection.close() }

    func migrate() throws {
        createdSchema = try refuseUnlessEmptyOrHHAuth()
        // Triggers it could not put back are not the move's business: the first `serve` (and any
        // `hh-auth migrate`) on the target says so, and its nodes' caches stay off until then.
        _ = try PostgreSQLMigrator.migrate(connection)
    }

    /// Drops what the migrations made (``PostgreSQLSchema/createdTables`` and
    /// ``PostgreSQLSchema/createdFunctions``, their indexes, identities and triggers with them) in
    /// a schema that held nothing before, and nothing else: another application's objects made
    /// there meanwhile stay. In one transaction, none with `CASCADE`, and only while nothing may
    /// have written there since: with the tables locked, every moved table must be empty and no
    /// other session of hh-auth's connected to the database (a `serve` started too early). Nil
    /// when it removed everything; otherwise, having removed nothing, what is left and why.
    func removeWhatMigrateCreated() -> String? {
        guard createdSchema else { return nil }
        createdSchema = false
        do {
            try connection.transaction { tx in
                try tx.execute("SET LOCAL lock_timeout = '10s'")
                guard let schema = try tx.execute("SELECT quote_ident(current_schema())").first?.string(0) else {
                    return
                }
                let tables = try Self.existing(PostgreSQLSchema.createdTables, kinds: "'r', 'p'", tx).map {
                    "\(schema).\($0)"
                }
                guard !tables.isEmpty else { return }
                try tx.execute("LOCK TABLE \(tables.joined(separator: ", ")) IN ACCESS EXCLUSIVE MODE")
                let (sessions, janitorLeads) = try PostgreSQLMoveSource.hhAuthSessions(on: tx)
                guard sessions.isEmpty && !janitorLeads else {
                    let named = sessions.prefix(DataMoveError.sessionsNamed).map(\.description)
                    let more = sessions.count > named.count ? ["and \(sessions.count - named.count) more"] : []
                    let janitor =
                        janitorLeads && !sessions.contains(where: \.leadsJanitor)
                        ? ["a janitor leads on its schema"] : []
                    throw Kept(
                        reason:
                            "hh-auth is connected to its database (\((named + more + janitor).joined(separator: "; ")))"
                    )
                }
                for table in MovedTable.all where tables.contains("\(schema).\(table.name)") {
                    if try tx.execute("SELECT EXISTS (SELECT 1 FROM \(schema).\(table.name))").first?.flag(0) == true {
                        throw Kept(reason: "\(table.name) holds rows written since the move made it")
                    }
                }
                try tx.execute("DROP TABLE \(tables.joined(separator: ", "))")
                let functions = try Self.existing(PostgreSQLSchema.createdFunctions, kinds: nil, tx)
                guard !functions.isEmpty else { return }
                try tx.execute("DROP FUNCTION \(functions.map { "\(schema).\($0)()" }.joined(separator: ", "))")
            }
            return nil
        } catch let kept as Kept {
            return leftover(kept.reason)
        } catch {
            return leftover("removing them failed: \(error)")
        }
    }

    /// Why ``removeWhatMigrateCreated()`` removed nothing.
    private struct Kept: Error {
        let reason: String
    }

    /// Of `names`, those in the current schema: tables (`kinds` of `pg_class`), or functions
    /// without arguments (nil).
    private static func existing(_ names: [String], kinds: String?, _ connection: PGConnection) throws -> [String] {
        let query =
            if let kinds {
                """
                SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace
                  AND relkind IN (\(kinds)) AND relname = ANY (string_to_array($1, ','))
                """
            } else {
                """
                SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
                  AND pronargs = 0 AND proname = ANY (string_to_array($1, ','))
                """
            }
        let found = Set(try connection.execute(query, [.text(names.joined(separator: ","))]).map { try $0.text(0) })
        return names.filter(found.contains)
    }

    /// What the operator reads when the move left its tables: that they are there, why, and how
    /// to remove them once they are sure nothing of theirs is in them.
    private func leftover(_ reason: String) -> String {
        let schema: String = (try? connection.execute("SELECT current_schema()").first?.string(0)) ?? "(none)"
        let tables: String = PostgreSQLSchema.createdTables.joined(separator: ", ")
        let functions: String = PostgreSQLSchema.createdFunctions.map { $0 + "()" }.joined(separator: ", ")
        return "the tables and functions the move made in the target schema \(schema) are still there: \(reason), "
            + "so nothing was removed. See what uses them, and remove by hand what is not wanted: "
            + "DROP TABLE \(tables); DROP FUNCTION \(functions)"
    }

    /// Before any DDL: the schema the tables would go to (`current_schema()`, the first of the
    /// `search_path` that exists) holds nothing, or is hh-auth's (its migrations table) with no
    /// row in a moved table. A typo'd URL pointing at another application's schema (`public` of
    /// its database) is refused without a table created there. No schema at all is left to the
    /// migrator, whose error says so. True when the schema holds nothing.
    private func refuseUnlessEmptyOrHHAuth() throws -> Bool {
        guard let schema = try connection.execute("SELECT current_schema()").first?.string(0) else { return false }
        let objects = try connection.execute(
            """
            SELECT c.relname, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                WHEN 'm' THEN 'view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'table' ELSE 'relation' END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            UNION ALL
            SELECT p.proname, 'function' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = $1
            ORDER BY 1
            """, [.text(schema)])
        let names = try objects.map { row in (name: try row.string(0) ?? "", kind: try row.string(1) ?? "") }
        guard !names.isEmpty else { return true }
        guard names.contains(where: { $0.name == "hh_auth_migrations" && $0.kind == "table" }) else {
            throw DataMoveError.targetNotHHAuth(schema: schema, holds: "\(names[0].kind) \(names[0].name)")
        }
        let tables = Set(names.filter { $0.kind == "table" }.map(\.name))
        for table in MovedTable.all where tables.contains(table.name) {
            let holdsData = try connection.execute("SELECT EXISTS (SELECT 1 FROM \(table.name))").first?.bool(0)
            if holdsData == true { throw DataMoveError.targetNotEmpty(table: table.name) }
        }
        return false
    }

    func withTransaction<T>(_ body: (any DataMoveTransaction) throws -> T) throws -> T {
        try connection.transaction { connection in
            // A node started too early holds its locks only briefly; one that does not let go
            // fails the move instead of hanging it.
            try connection.execute("SET LOCAL lock_timeout = '10s'")
            return try body(PostgreSQLMoveTransaction(connection: connection, stores: stores))
        }
    }
}

/// The target database's write transaction.
struct PostgreSQLMoveTransaction: DataMoveTransaction {
    let connection: PGConnection
    let stores: StoreSet

    func firstTableHoldingData(_ tables: [MovedTable]) throws -> String? {
        let names = (tables.map(\.name) + ["audit_guard"]).joined(separator: ", ")
        try connection.execute("LOCK TABLE \(names) IN EXCLUSIVE MODE")
        for table in tables {
            let holdsData = try connection.execute("SELECT EXISTS (SELECT 1 FROM \(table.name))").first?.bool(0)
            if holdsData == true { return table.name }
        }
        let chain = try connection.execute(
            "SELECT anchor_id = 0 AND head_id = 0 FROM audit_guard WHERE id = 1"
        ).first?.bool(0)
        return chain == true ? nil : "audit_guard"
    }

    /// One statement per batch (`VALUES (…), (…)`), the ids given (`OVERRIDING SYSTEM VALUE`
    /// where the table has an identity).
    func insert(_ rows: [[MovedValue]], into table: MovedTable) throws {
        guard !rows.isEmpty else { return }
        let width = table.columns.count
        let tuples = rows.indices.map { row in
            "(" + (1...width).map { "$\(row * width + $0)" }.joined(separator: ", ") + ")"
        }
        let overriding = table.hasIdentity ? " OVERRIDING SYSTEM VALUE" : ""
        try connection.execute(
            "INSERT INTO \(table.name) (\(table.columnList))\(overriding) VALUES \(tuples.joined(separator: ", "))",
            rows.flatMap { $0.map(Self.parameter) })
    }

    private static func parameter(_ value: MovedValue) -> PGParameter {
        switch value {
        case .null: .null
        case .integer(let integer): .int64(integer)
        case .real(let real): .double(real)
        case .text(let text): .text(text)
        case .blob(let data): .blob(data)
        case .flag(let flag): .bool(flag)
        }
    }

    /// Each identity restarts after its mark; the chain's guard row takes the anchor and head.
    func restore(_ state: MovedSequenceState) throws {
        for (table, mark) in state.highWaterMarks.sorted(by: { $0.key < $1.key }) {
            try connection.execute("ALTER TABLE \(table) ALTER COLUMN id RESTART WITH \(mark + 1)")
        }
        try connection.execute(
            """
            UPDATE audit_guard SET pruning = false, anchor_id = $1, anchor_hash = $2, head_id = $3, head_hash = $4
            WHERE id = 1
            """,
            [.int64(state.anchorID), .text(state.anchorHash), .int64(state.headID), .text(state.headHash)])
    }

    func verifyAuditChain() throws -> AuditChain.Verdict {
        try PostgreSQLAudit(connection: connection, stores: stores).verify()
    }
}
