import PostgreSQL

/// Brings a PostgreSQL database to this binary's schema (``PostgreSQLSchema``), as `serve` and
/// `migrate` do at start: under a session-level advisory lock, so that of several nodes starting
/// at once one migrates and the others wait and find nothing left to do. A database that records
/// a migration this binary does not know was written by a newer hh-auth and is refused
/// (``StorageError/newerSchema``) rather than half-understood; each missing migration applies in
/// a transaction of its own, with its row in `hh_auth_migrations`.
enum PostgreSQLMigrator {
    /// The advisory lock's key: any fixed number, the same in every node ("hh-auth" in ASCII).
    static let lockKey: Int64 = 0x68_68_2D_61_75_74_68

    /// Migrates through `connection`, which it leaves open and idle.
    static func migrate(_ connection: PGConnection) throws {
        try connection.execute("SELECT pg_advisory_lock($1)", [.int64(lockKey)])
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [.int64(lockKey)]) }
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS hh_auth_migrations (
                identifier text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let applied = try appliedIdentifiers(connection)
        let known = PostgreSQLSchema.identifiers
        guard applied.allSatisfy(known.contains) else { throw StorageError.newerSchema }
        for migration in PostgreSQLSchema.migrations where !applied.contains(migration.identifier) {
            try connection.transaction { tx in
                try tx.executeScript(migration.sql)
                try tx.execute("INSERT INTO hh_auth_migrations (identifier) VALUES ($1)", [.text(migration.identifier)])
            }
        }
    }

    /// The migrations the database records as applied.
    static func appliedIdentifiers(_ connection: PGConnection) throws -> [String] {
        try connection.execute("SELECT identifier FROM hh_auth_migrations ORDER BY applied_at, identifier").map {
            try $0.string(0) ?? ""
        }
    }
}
