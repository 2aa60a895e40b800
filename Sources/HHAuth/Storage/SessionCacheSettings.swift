import Logging

/// How a PostgreSQL engine remembers the session routes' lookups (``SessionReadCache``).
public struct SessionCacheSettings: Sendable {
    /// How long, at most, another writer's change may go unnoticed.
    public var staleness: Duration
    /// Where the cache's listener says that it lost, or found again, the database.
    public var logger: Logger?

    public init(staleness: Duration, logger: Logger? = nil) {
        self.staleness = staleness
        self.logger = logger
    }
}
