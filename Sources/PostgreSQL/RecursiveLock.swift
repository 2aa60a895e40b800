#if canImport(Glibc)
    import Glibc
#endif

/// A recursive pthread mutex: the thread that holds it may take it again.
///
/// A connection holds its lock for a whole transaction, and the transaction's body runs statements
/// on the same connection from the same thread; a plain mutex would deadlock there. Another thread
/// that uses the connection meanwhile waits for the transaction to end instead of slipping its
/// statements into it.
final class RecursiveLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
