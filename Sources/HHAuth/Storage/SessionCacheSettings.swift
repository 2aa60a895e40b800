import Logging

/// How a PostgreSQL engine remembers the session routes' lookups (``SessionReadCache``).
public struct SessionCacheSettings: Sendable {
    /// How long, at most, another writer's change may go unnoticed.
    public var staleness: Duration
    /// Where the cache's listener says that it lost, or found again, the database.
    public var logger: Logger?
    /// Where the cache's state and lookups are counted (`hh_auth_session_cache_*`).
    public var metrics: SessionCacheMetrics?

    public init(staleness: Duration, logger: Logger? = nil, metrics: SessionCacheMetrics? = nil) {
        self.staleness = staleness
        self.logger = logger
        self.metrics = metrics
    }
}
