/// What a connection sets unless its connection string says otherwise: libpq's connection
/// parameters (`connect_timeout`, TCP keepalives…) and server settings for the session
/// (`lock_timeout`…).
public struct PGConnectionDefaults: Sendable {
    /// libpq's `connect_timeout` in seconds (libpq's own default waits forever).
    public var connectTimeoutSeconds: Int
    /// More libpq connection parameters by keyword (`keepalives_idle`, `tcp_user_timeout`…); a
    /// parameter the connection string sets wins.
    public var parameters: [String: String]
    /// Server settings by name (`lock_timeout`, `statement_timeout`…), set at connect and again
    /// after every ``PGConnection/reset()`` where nothing else set them: a setting the string's
    /// `options`, the role, the database or the server's configuration gives wins (`pg_settings`
    /// reports its source as other than `default`).
    public var settings: [String: String]
    /// How long a call waits for the server's answer before it gives the connection up (closes
    /// its socket: the call throws ``PGError/Kind/connectionLost``, ``PGConnection/reset()``
    /// reconnects); nil waits as long as the socket lives. The client's own bound, whatever the
    /// network does: a server that stopped answering behind a connection the kernel still keeps
    /// (a proxy that went silent, a partition after the request was acknowledged) holds the
    /// caller no longer than this. Sending is not covered (a send buffer that fills blocks until
    /// `tcp_user_timeout`); neither is connecting (`connect_timeout` is).
    public var responseTimeoutSeconds: Double?

    public init(
        connectTimeoutSeconds: Int = 10, parameters: [String: String] = [:], settings: [String: String] = [:],
        responseTimeoutSeconds: Double? = nil
    ) {
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.parameters = parameters
        self.settings = settings
        self.responseTimeoutSeconds = responseTimeoutSeconds
    }
}
