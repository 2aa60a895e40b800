import Foundation
import PostgreSQL

/// One connection of the node's own for one duty outside the worker threads' transactions (the
/// shared counts, the admin throttle, the janitor's lock): opened on first use, reconnected on
/// the next use after it broke, one caller at a time.
///
/// Bounded like the workers' connections (``PGConnectionDefaults/dedicated``: the engine's
/// timeouts and keepalives, the lock holders' server settings, an answer within a deadline), and
/// after a connect failed, every use fails at once for ``reconnectPauseSeconds`` (as
/// ``PGError/Kind/unavailable``) instead of each caller waiting for a connect of its own.
final class PostgreSQLDedicatedConnection: @unchecked Sendable {
    private let connectionString: PGConnectionString
    private let defaults: PGConnectionDefaults
    let reconnectPauseSeconds: Double
    private let lock = NSLock()
    private var connection: PGConnection?
    /// The last failed connect, while it is recent. Under `lock`.
    private var lastFailure: (at: ContinuousClock.Instant, error: PGError)?
    /// Closed for good (``close()``): no use opens a connection again. Under `lock`.
    private var closed = false

    init(_ connectionString: PGConnectionString, defaults: PGConnectionDefaults, reconnectPauseSeconds: Double = 1) {
        self.connectionString = connectionString
        self.defaults = defaults
        self.reconnectPauseSeconds = reconnectPauseSeconds
    }

    deinit {
        connection?.close()
    }

    /// `body` on the connection, which no other caller of this one uses meanwhile.
    func use<T>(_ body: (PGConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let connection = try open()
        return try body(connection)
    }

    /// The connection, for what may run beside ``use(_:)`` (waiting for notifications).
    func current() -> PGConnection? {
        lock.lock()
        defer { lock.unlock() }
        return connection
    }

    /// Closes the connection (what it held on the server goes with it); the next use opens another.
    func disconnect() {
        lock.lock()
        defer { lock.unlock() }
        connection?.close()
        connection = nil
    }

    /// Closes the connection for good: every use from now on fails (``PGError/Kind/unavailable``)
    /// instead of opening another (a background flush that runs after its owner closed it).
    func close() {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        connection?.close()
        connection = nil
    }

    private func open() throws(PGError) -> PGConnection {
        guard !closed else { throw PGError(.unavailable, "the connection was closed for good") }
        if let connection, connection.isConnected { return connection }
        connection?.close()
        connection = nil
        let pause = Duration.milliseconds(Int64(reconnectPauseSeconds * 1000))
        if let lastFailure, ContinuousClock.now < lastFailure.at + pause {
            throw PGError(
                .unavailable, "not connecting again yet after: \(lastFailure.error.message)",
                sqlState: lastFailure.error.sqlState)
        }
        do {
            let opened = try PGConnection(connectionString, defaults: defaults)
            lastFailure = nil
            connection = opened
            return opened
        } catch {
            lastFailure = (ContinuousClock.now, error)
            throw error
        }
    }
}
