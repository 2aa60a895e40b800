import Logging

/// What ``DomainServices`` runs its storage engine over: the database a process selected
/// (``DatabaseSelection``), in the form each engine opens it.
public enum EngineSource: Sendable {
    /// A SQLite file, opened and migrated (``AppDatabase``).
    case sqlite(AppDatabase)
    /// A PostgreSQL database, connected to and migrated (under the migrations' advisory lock) as
    /// the services are built; `errors` counts the engine's failures afterwards. With
    /// `sessionCache`, the engine remembers the session routes' lookups (``SessionReadCache``),
    /// trusted for at most that long after the node last heard of every other writer (`serve`'s
    /// `SESSION_CACHE_MS`); without, every lookup asks the database (the operator commands).
    /// `logger` hears what the migration could not put right (``SessionChangeTriggersLeftOff``).
    case postgreSQL(
        connectionString: String, errors: DatabaseErrorMetrics?, sessionCache: SessionCacheSettings? = nil,
        logger: Logger? = nil)
}
