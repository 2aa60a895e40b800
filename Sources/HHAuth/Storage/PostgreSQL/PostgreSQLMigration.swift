import PostgreSQL

/// `hh-auth migrate` on PostgreSQL: what the engine does as it opens (``PostgreSQLMigrator``,
/// under its advisory lock), without serving.
public enum PostgreSQLMigration {
    /// Connects and brings the database's schema to this binary's; throws the ``StorageFailure``
    /// of a server that cannot be reached, ``StorageError/newerSchema`` for a newer one. Returns the
    /// session change triggers it found not `ALWAYS` and could not set so (nil: all are).
    @discardableResult
    public static func run(connectionString: String) throws -> SessionChangeTriggersLeftOff? {
        do {
            let connection = try PGConnection(try PGConnectionString(connectionString), defaults: .migration)
            defer { connection.close() }
            return try PostgreSQLMigrator.migrate(connection)
        } catch let error as PGError {
            throw StorageFailure(error)
        }
    }
}
