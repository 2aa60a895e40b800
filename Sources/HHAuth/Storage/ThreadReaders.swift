import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// Read connections per worker thread, for the request path.
///
/// `DatabasePool.read` hands every read through a shared concurrent dispatch queue and a pool of
/// serial ones; with 32 workers on 2 cores that contention (futex waits and wake-ups) cost more
/// than the reads themselves (profiled: ~40 % of `/users/me`). A connection owned by one thread
/// is never contended, so its queue runs the read inline. WAL mode lets these readers work beside
/// the pool's writer; each sees the last committed state.
///
/// Each thread gets up to two, opened on first use: a GRDB `DatabaseQueue` for ordinary reads,
/// and a ``ThreadConnection`` for the hottest ones (see ``SessionLookup``).
final class ThreadReaders: @unchecked Sendable {
    private final class Slot {
        var queue: DatabaseQueue?
        var connection: ThreadConnection?
    }

    private let path: String
    private let busyTimeoutSeconds: Double
    private var key = pthread_key_t()

    init(path: String, busyTimeoutSeconds: Double) {
        self.path = path
        self.busyTimeoutSeconds = busyTimeoutSeconds
        // The thread's connections close when the thread ends.
        pthread_key_create(&key) { raw in
            guard let raw else { return }
            Unmanaged<AnyObject>.fromOpaque(raw).release()
        }
    }

    deinit {
        // Other threads' connections stay with them; this thread's go now, and the key is
        // returned (there are only so many per process).
        if let raw = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            Unmanaged<AnyObject>.fromOpaque(raw).release()
        }
        pthread_key_delete(key)
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        let slot = self.slot()
        if let queue = slot.queue { return try queue.read(body) }
        let queue = try openQueue()
        slot.queue = queue
        return try queue.read(body)
    }

    func withConnection<T>(_ body: (ThreadConnection) throws -> T) throws -> T {
        let slot = self.slot()
        if let connection = slot.connection { return try body(connection) }
        let connection = try ThreadConnection(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
        slot.connection = connection
        return try body(connection)
    }

    private func slot() -> Slot {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! Slot
        }
        let slot = Slot()
        pthread_setspecific(key, Unmanaged.passRetained(slot as AnyObject).toOpaque())
        return slot
    }

    private func openQueue() throws -> DatabaseQueue {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.foreignKeysEnabled = true
        configuration.label = "hh-auth.thread-reader"
        configuration.prepareDatabase { db in
            // A small page cache each: there are as many of these as worker threads.
            try db.execute(sql: "PRAGMA cache_size = -512")
        }
        return try DatabaseQueue(path: path, configuration: configuration)
    }
}
