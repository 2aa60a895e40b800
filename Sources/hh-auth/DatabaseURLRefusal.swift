import HHAuth

/// Why `DATABASE_URL` names no database an operator command may use, as ``DatabasePathRefusal``
/// says it for a SQLite file: only `serve` and `migrate` set up a database's schema, so every other
/// command refuses an empty one rather than report on it (or migrate a database someone mistyped).
/// The lines show where the database is, never the URL itself (it may carry the password).
enum DatabaseURLRefusal {
    /// Exit 1 when the server cannot be reached, exit 2 when the database has no hh-auth schema.
    static func requireHHAuthSchema(_ connectionString: String) throws {
        let location = DatabaseSelection.masked(connectionString)
        let status: SchemaStatus?
        do {
            status = try PostgreSQLInspection(connectionString: connectionString).schemaStatus()
        } catch {
            throw StartupFailure.exit("DATABASE_URL: cannot use the database at \(location): \(error)", code: 1)
        }
        guard status != nil else { throw StartupFailure.exit(noSchema(location)) }
    }

    static func noSchema(_ location: String) -> String {
        "DATABASE_URL: the database at \(location) has no hh-auth schema (only `serve` and `migrate` create one)"
    }
}
