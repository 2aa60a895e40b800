import PostgreSQL

extension PGConnectionDefaults {
    /// The engine's connections, unless the connection string (its parameters, or `options=-c…`
    /// for the server settings), the role, the database or the server's configuration says
    /// otherwise:
    /// - `lock_timeout` 5 s: a write waiting for a row or the audit chain's head longer than that
    ///   is answered 503 + `Retry-After` (`busy`) instead of holding its worker;
    /// - `statement_timeout` 30 s: no statement of the service's runs that long (the audit export
    ///   and verify read in batches);
    /// - `idle_in_transaction_session_timeout` 60 s: the service never waits inside a transaction
    ///   (HH calls happen between transactions); a session that does is ended, its locks freed;
    /// - `connect_timeout` 5 s, and for TCP: keepalives after 30 s idle, every 10 s, 3 missed
    ///   probes; `tcp_user_timeout` 30 s (unacknowledged data): a server that vanished without a
    ///   word (a failover, a cut network) is noticed in under a minute, not after the kernel's
    ///   two hours;
    /// - `application_name` ``applicationName``: `migrate-data` finds a running service by it in
    ///   `pg_stat_activity` (and so does an operator).
    public static let engine = PGConnectionDefaults(
        connectTimeoutSeconds: 5,
        parameters: [
            "application_name": applicationName, "keepalives": "1", "keepalives_idle": "30",
            "keepalives_interval": "10", "keepalives_count": "3",
            "tcp_user_timeout": "30000",
        ],
        settings: ["lock_timeout": "5s", "statement_timeout": "30s", "idle_in_transaction_session_timeout": "60s"])

    /// The `application_name` of the engine's connections (`serve` and the commands that open
    /// the database alike), unless the connection string sets another.
    public static let applicationName = "hh-auth"
}
