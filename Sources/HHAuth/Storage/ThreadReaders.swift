import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// One read connection per worker thread, for the request path.
///
/// `DatabasePool.read` hands every read through a shared concurrent dispatch queue and a pool of
/// serial ones; with 32 workers on 2 cores that contention (futex waits and wake-ups) cost more
/// than the reads themselves (profiled: ~40 % of `/users/me`). A connection owned by one thread
/// is never contended, so its queue runs the read inline. WAL mode lets these readers work beside
/// the pool's writer; each sees the last committed state.
final class ThreadReaders: @unchecked Sendable {
    private final class Holder {
        let queue: DatabaseQueue
        init(_ queue: DatabaseQueue) { self.queue = queue }
    }

    private let path: String
    private let busyTimeoutSeconds: Double
    private var key = pthread_key_t()

    init(path: String, busyTimeoutSeconds: Double) {
        self.path = path
        self.busyTimeoutSeconds = busyTimeoutSeconds
        // The thread's connection closes when the thread ends.
        pthread_key_create(&key) { raw in
            guard let raw else { return }
            Unmanaged<AnyObject>.fromOpaque(raw).release()
        }
    }

    deinit {
        // Other threads' connections stay with them; this thread's goes now, and the key is
        // returned (there are only so many per process).
        if let raw = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            Unmanaged<AnyObject>.fromOpaque(raw).release()
        }
        pthread_key_delete(key)
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try connection().read(body)
    }

    private func connection() throws -> DatabaseQueue {
        if let raw = pthread_getspecific(key) {
            return (Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! Holder).queue
        }
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.foreignKeysEnabled = true
        configuration.label = "hh-auth.thread-reader"
        configuration.prepareDatabase { db in
            // A small page cache each: there are as many of these as worker threads.
            try db.execute(sql: "PRAGMA cache_size = -1024")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        pthread_setspecific(key, Unmanaged.passRetained(Holder(queue) as AnyObject).toOpaque())
        return queue
    }
}
