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
    /// - the same keepalives from the server's side (`tcp_keepalives_idle/interval/count` 30 s,
    ///   10 s, 3; ignored on a unix socket): the backends of a node that died (power, a cut
    ///   network) end within about a minute, not two hours, so they neither count against
    ///   `max_connections` nor keep `migrate-data` refusing the database as in use;
    /// - `application_name` ``applicationName``: `migrate-data` finds a running service by it in
    ///   `pg_stat_activity` (and so does an operator).
    public static let engine = PGConnectionDefaults(
        connectTimeoutSeconds: 5,
        parameters: [
            "application_name": applicationName, "keepalives": "1", "keepalives_idle": "30",
            "keepalives_interval": "10", "keepalives_count": "3",
            "tcp_user_timeout": "30000",
        ],
        settings: [
            "lock_timeout": "5s", "statement_timeout": "30s", "idle_in_transaction_session_timeout": "60s",
            "tcp_keepalives_idle": "30", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "3",
        ])

    /// The `application_name` of the engine's connections (`serve` and the commands that open
    /// the database alike), unless the connection string sets another.
    public static let applicationName = "hh-auth"
}

extension PGConnectionDefaults {
    /// What a session that holds a lock past one statement sets on the server besides the
    /// engine's keepalives, so that the lock does not outlive a client that vanished (a node that
    /// lost power keeps its backend, and so its session-level advisory locks, until the server
    /// notices): `client_connection_check_interval` 10 s (a running query notices a closed client
    /// socket). With the keepalives, the backend of a dead holder ends, and its locks go, within
    /// about a minute.
    static let lockHolderSettings = ["client_connection_check_interval": "10s"]

    /// The node's dedicated connections (``PostgreSQLDedicatedConnection``: the shared rate
    /// counts, the admin throttle, the janitor's lock and `LISTEN`): the engine's limits, the
    /// lock holders' server settings, and an answer within 10 s
    /// (``PGConnectionDefaults/responseTimeoutSeconds``) whatever the network does: every
    /// statement on them is small, and the admin requests and the janitor wait on them.
    public static let dedicated: PGConnectionDefaults = {
        var defaults = PGConnectionDefaults.engine
        defaults.settings.merge(lockHolderSettings) { own, _ in own }
        defaults.responseTimeoutSeconds = 10
        return defaults
    }()

    /// The migration's connection (``PostgreSQLMigrator``): the engine's limits but
    /// `statement_timeout` (a migration's DDL may rewrite a large table) and no response
    /// deadline; the lock holders' server settings, since it holds the migration's advisory lock.
    public static let migration: PGConnectionDefaults = {
        var defaults = PGConnectionDefaults.engine
        defaults.settings["statement_timeout"] = nil
        defaults.settings.merge(lockHolderSettings) { own, _ in own }
        return defaults
    }()
}
