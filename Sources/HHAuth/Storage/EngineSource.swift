/// What ``DomainServices`` runs its storage engine over: the database a process selected
/// (``DatabaseSelection``), in the form each engine opens it.
public enum EngineSource: Sendable {
    /// A SQLite file, opened and migrated (``AppDatabase``).
    case sqlite(AppDatabase)
    /// A PostgreSQL database, connected to and migrated (under the migrations' advisory lock) as
    /// the services are built; `errors` counts the engine's failures afterwards.
    case postgreSQL(connectionString: String, errors: DatabaseErrorMetrics?)
}
