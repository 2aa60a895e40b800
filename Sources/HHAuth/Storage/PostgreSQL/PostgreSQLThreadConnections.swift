import Foundation
import PostgreSQL

#if canImport(Glibc)
    import Glibc
#endif

/// One PostgreSQL connection per worker thread, opened on the thread's first use: libpq is
/// synchronous like the workers, so a thread never waits for another's connection, and the
/// statements it prepares (``PostgreSQLSessionReadPath``) stay prepared on its own.
///
/// A connection that broke (the server restarted, a failover) is reset on the thread's next
/// use, so one failed call, not every later one, answers the outage. After a connect or reset
/// failed, every thread that needs one fails at once for ``reconnectPauseSeconds`` (as
/// ``PGError/Kind/unavailable``) instead of trying again per request: while the server is away,
/// a request costs no connect attempt (up to `connect_timeout`) of its own. The engine owns every
/// connection it opened and closes them all when it goes; a thread that ends leaves its
/// connection open until then (the service's threads live as long as the process).
final class PostgreSQLThreadConnections: @unchecked Sendable {
    private let connectionString: PGConnectionString
    private let defaults: PGConnectionDefaults
    private var key = pthread_key_t()
    /// Every connection opened, for closing at the end; the threads hold them unretained.
    private let opened = NSLock()
    private var connections: [PGConnection] = []
    /// The last failed connect or reset, while it is recent; and how many were tried. Under `opened`.
    private var lastFailure: (at: ContinuousClock.Instant, error: PGError)?
    private var attempts = 0
    let reconnectPauseSeconds: Double

    init(_ connectionString: PGConnectionString, defaults: PGConnectionDefaults, reconnectPauseSeconds: Double = 1) {
        self.connectionString = connectionString
        self.defaults = defaults
        self.reconnectPauseSeconds = reconnectPauseSeconds
        pthread_key_create(&key, nil)
    }

    /// How many connects and resets were tried (tests).
    var connectAttempts: Int { opened.withLock { attempts } }

    deinit {
        for connection in connections { connection.close() }
        // Other threads' slots are abandoned with the key; no destructor reads them.
        pthread_key_delete(key)
    }

    /// The calling thread's connection, opened on first use and reconnected when it broke; throws
    /// ``PGError/Kind/unavailable`` while the server cannot be reached.
    func connection() throws(PGError) -> PGConnection {
        if let raw = pthread_getspecific(key) {
            let connection = Unmanaged<PGConnection>.fromOpaque(raw).takeUnretainedValue()
            if !connection.isConnected { try attempt { () throws(PGError) in try connection.reset() } }
            return connection
        }
        let connection = try attempt { () throws(PGError) in try PGConnection(connectionString, defaults: defaults) }
        opened.withLock { connections.append(connection) }
        pthread_setspecific(key, Unmanaged.passUnretained(connection).toOpaque())
        return connection
    }

    /// The calling thread's connection, reconnected even if libpq has not noticed it broke.
    func reconnected() throws(PGError) -> PGConnection {
        if let raw = pthread_getspecific(key) {
            let connection = Unmanaged<PGConnection>.fromOpaque(raw).takeUnretainedValue()
            try attempt { () throws(PGError) in try connection.reset() }
            return connection
        }
        return try connection()
    }

    /// `connect`, unless one failed less than ``reconnectPauseSeconds`` ago: then its error at once.
    private func attempt<T>(_ connect: () throws(PGError) -> T) throws(PGError) -> T {
        let pause = Duration.milliseconds(Int64(reconnectPauseSeconds * 1000))
        let recent = opened.withLock { () -> PGError? in
            guard let lastFailure, ContinuousClock.now < lastFailure.at + pause else { return nil }
            return lastFailure.error
        }
        if let recent {
            throw PGError(.unavailable, "not connecting again yet after: \(recent.message)", sqlState: recent.sqlState)
        }
        opened.withLock { attempts += 1 }
        do {
            let value = try connect()
            opened.withLock { lastFailure = nil }
            return value
        } catch {
            opened.withLock { lastFailure = (ContinuousClock.now, error) }
            throw error
        }
    }
}
