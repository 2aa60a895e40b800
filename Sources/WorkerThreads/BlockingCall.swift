#if canImport(Glibc)
    import Glibc
#endif

/// Marks a wait on something slow (a call to another server, a database write that may wait on
/// the file lock, waiting for another thread's result) so the thread's owner can let another
/// thread run meanwhile. Outside a thread with a ``SlowWaitObserver`` it simply runs `body`.
///
/// Why it exists: the FastCGI server keeps only a few of its many worker threads running at once
/// (2 × CPUs; waking the coldest of 32 threads per request cost 52 µs of CPU per `/auth/token`
/// against 35 µs with 4, measured on 2 cores). A worker about to wait on HeadHunter hands its turn
/// to a standby worker, the way a Go runtime hands off its processor around a blocking system
/// call. The server's worker gate is the observer; this target knows nothing of it.
public enum BlockingCall {
    /// Runs `body` as a slow wait: the calling thread's observer hears of its start and end, once
    /// for the outermost of nested calls.
    public static func run<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        guard let binding = SlowWaitBinding.current else { return try body() }
        binding.depth += 1
        if binding.depth == 1 { binding.observer.slowWaitBegins() }
        defer {
            binding.depth -= 1
            if binding.depth == 0 { binding.observer.slowWaitEnds() }
        }
        return try body()
    }

    /// Makes `observer` hear of every slow wait on the calling thread, until it is replaced or
    /// `nil` is bound. The thread keeps the observer alive while it is bound.
    public static func bind(_ observer: (any SlowWaitObserver)?) {
        SlowWaitBinding.bind(observer)
    }
}

/// Hears when its thread starts and ends a slow wait (``BlockingCall/run(_:)``). Both are called
/// on that thread, outside any lock of this target, for the outermost call only.
public protocol SlowWaitObserver: AnyObject {
    /// The thread is about to wait on something slow.
    func slowWaitBegins()
    /// The slow wait is over; the thread runs on.
    func slowWaitEnds()
}

/// The calling thread's observer and how deeply it is nested in ``BlockingCall/run(_:)``; kept in
/// a pthread key (a thread-local that `Thread`, pthreads and the FastCGI workers all share).
private final class SlowWaitBinding {
    let observer: any SlowWaitObserver
    var depth = 0

    init(_ observer: any SlowWaitObserver) {
        self.observer = observer
    }

    /// The key owns a +1 reference to its value; a thread that exits still bound releases it.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { value in
            guard let value else { return }
            Unmanaged<SlowWaitBinding>.fromOpaque(value).release()
        }
        return key
    }()

    static var current: SlowWaitBinding? {
        pthread_getspecific(key).map { Unmanaged<SlowWaitBinding>.fromOpaque($0).takeUnretainedValue() }
    }

    static func bind(_ observer: (any SlowWaitObserver)?) {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, observer.map { Unmanaged.passRetained(SlowWaitBinding($0)).toOpaque() })
        if let previous { Unmanaged<SlowWaitBinding>.fromOpaque(previous).release() }
    }
}
