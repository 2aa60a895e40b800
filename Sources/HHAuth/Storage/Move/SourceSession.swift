/// A session on a PostgreSQL source's server that keeps the source in use
/// (``DataMoveError/sourceInUse(sessions:janitorLeads:)``), described so that an operator can tell
/// a node from a backend a dead node left or a cron `hh-auth doctor`, and end a stale one
/// (`SELECT pg_terminate_backend(pid)`).
public struct SourceSession: Sendable, Equatable, CustomStringConvertible {
    /// The backend's process id (`pg_stat_activity.pid`).
    public var pid: Int
    /// Its `application_name`: `hh-auth` for `serve` and the commands that open the database
    /// alike (``PGConnectionDefaults/applicationName``), unless the connection string set another.
    public var applicationName: String
    /// The client's address; nil on a unix socket, or where the move's role may not see it.
    public var clientAddress: String?
    /// When the backend started, as the server prints it (to the second); nil where the move's
    /// role may not see it (another role's session, without `pg_read_all_stats`).
    public var backendStart: String?
    /// Whether it holds the janitor's advisory lock on the source's schema (a node's janitor).
    public var leadsJanitor: Bool

    public init(
        pid: Int, applicationName: String, clientAddress: String?, backendStart: String?, leadsJanitor: Bool
    ) {
        self.pid = pid
        self.applicationName = applicationName
        self.clientAddress = clientAddress
        self.backendStart = backendStart
        self.leadsJanitor = leadsJanitor
    }

    public var description: String {
        let origin: String =
            switch (clientAddress, backendStart) {
            case (let address?, _): "from \(address)"
            case (nil, _?): "on a local socket"
            case (nil, nil): "(its address and start not visible to this role)"
            }
        return "pid \(pid) '\(applicationName)' \(origin)"
            + (backendStart.map { " since \($0)" } ?? "")
            + (leadsJanitor ? ", the janitor" : "")
    }
}
