#if canImport(Glibc)
    import Glibc
#endif

/// One read-only connection per worker thread (``ThreadConnection``): every read of the request
/// path goes through it.
///
/// `DatabasePool.read` hands every read through a shared concurrent dispatch queue and a pool of
/// serial ones; with 32 workers on 2 cores that contention (futex waits and wake-ups) cost more
/// than the reads themselves (profiled: ~40 % of `/users/me`). A connection owned by one thread
/// is never contended, so its queue runs the read inline. WAL mode lets these readers work beside
/// the pool's writer; each sees the last committed state.
final class ThreadReaders: @unchecked Sendable {
    private let path: String
    private let busyTimeoutSeconds: Double
    private var key = pthread_key_t()

    init(path: String, busyTimeoutSeconds: Double) {
        self.path = path
        self.busyTimeoutSeconds = busyTimeoutSeconds
        // The thread's connection closes when the thread ends.
        pthread_key_create(&key) { raw in
            guard let raw else { return }
            Unmanaged<ThreadConnection>.fromOpaque(raw).release()
        }
    }

    deinit {
        // Other threads' connections stay with them; this thread's goes now, and the key is
        // returned (there are only so many per process).
        if let raw = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            Unmanaged<ThreadConnection>.fromOpaque(raw).release()
        }
        pthread_key_delete(key)
    }

    /// The calling thread's connection, opened on its first use.
    func withConnection<T>(_ body: (ThreadConnection) throws -> T) throws -> T {
        if let raw = pthread_getspecific(key) {
            return try body(Unmanaged<ThreadConnection>.fromOpaque(raw).takeUnretainedValue())
        }
        let connection = try ThreadConnection(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
        pthread_setspecific(key, Unmanaged.passRetained(connection).toOpaque())
        return try body(connection)
    }
}
