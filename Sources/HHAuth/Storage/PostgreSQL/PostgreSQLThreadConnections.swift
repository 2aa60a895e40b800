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
/// use, so one failed call, not every later one, answers the outage. The engine owns every
/// connection it opened and closes them all when it goes; a thread that ends leaves its
/// connection open until then (the service's threads live as long as the process).
final class PostgreSQLThreadConnections: @unchecked Sendable {
    private let connectionString: PGConnectionString
    private var key = pthread_key_t()
    /// Every connection opened, for closing at the end; the threads hold them unretained.
    private let opened = NSLock()
    private var connections: [PGConnection] = []

    init(_ connectionString: PGConnectionString) {
        self.connectionString = connectionString
        pthread_key_create(&key, nil)
    }

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
            if !connection.isConnected { try connection.reset() }
            return connection
        }
        let connection = try PGConnection(connectionString)
        opened.withLock { connections.append(connection) }
        pthread_setspecific(key, Unmanaged.passUnretained(connection).toOpaque())
        return connection
    }

    /// The calling thread's connection, reconnected even if libpq has not noticed it broke.
    func reconnected() throws(PGError) -> PGConnection {
        if let raw = pthread_getspecific(key) {
            let connection = Unmanaged<PGConnection>.fromOpaque(raw).takeUnretainedValue()
            try connection.reset()
            return connection
        }
        return try connection()
    }
}
