import PostgreSQL

/// `hh-auth migrate` on PostgreSQL: what the engine does as it opens (``PostgreSQLMigrator``,
/// under its advisory lock), without serving.
public enum PostgreSQLMigration {
    /// Connects and brings the database's schema to this binary's; throws the ``StorageFailure``
    /// of a server that cannot be reached, ``StorageError/newerSchema`` for a newer one.
    public static func run(connectionString: String) throws {
        do {
            let connection = try PGConnection(try PGConnectionString(connectionString), defaults: .migration)
            defer { connection.close() }
            try PostgreSQLMigrator.migrate(connection)
        } catch let error as PGError {
            throw StorageFailure(error)
        }
    }
}
