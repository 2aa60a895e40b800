#if canImport(Glibc)
    import Glibc
#endif

/// Counts the live workers, remembers the first fatal error, and lets ``FastCGIServer/run()`` wait
/// until every worker has left or, once shutdown has begun, until its deadline has passed.
final class WorkerRoster: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var live = 0
    private var deadline: timespec?
    private var storedFailure: FastCGIError?

    /// The error the first failing worker left with.
    var failure: FastCGIError? { locked { storedFailure } }

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // The deadline must not move when someone sets the wall clock.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    func joined() { locked { live += 1 } }

    func left() {
        locked {
            live -= 1
            pthread_cond_broadcast(changed)
        }
    }

    /// Keeps the first fatal error; true if this is it (so it is reported once, not per worker).
    func recordFailure(_ error: FastCGIError) -> Bool {
        locked {
            guard storedFailure == nil else { return false }
            storedFailure = error
            return true
        }
    }

    /// Shutdown began: ``waitForWorkers()`` returns at the latest `seconds` from now.
    func setDeadline(inSeconds seconds: Double) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let whole = seconds.rounded(.down)
        var end = timespec(tv_sec: now.tv_sec + Int(whole), tv_nsec: now.tv_nsec + Int((seconds - whole) * 1e9))
        if end.tv_nsec >= 1_000_000_000 {
            end.tv_sec += 1
            end.tv_nsec -= 1_000_000_000
        }
        locked {
            if deadline == nil { deadline = end }
            pthread_cond_broadcast(changed)
        }
    }

    /// Blocks until no worker is left (true) or the shutdown deadline has passed (false).
    func waitForWorkers() -> Bool {
        locked {
            while live > 0 {
                if var end = deadline {
                    if pthread_cond_timedwait(changed, mutex, &end) == ETIMEDOUT { return live == 0 }
                } else {
                    pthread_cond_wait(changed, mutex)
                }
            }
            return true
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
