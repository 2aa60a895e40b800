import Foundation
import GRDB
import WorkerThreads

/// How a connection waits for another's lock on the SQLite file: bounded by the time that passes,
/// where SQLite's own `busy_timeout` adds up the sleeps it asks for.
///
/// Why: on a machine short of CPU each of those sleeps overshoots, and a write under a held lock
/// got its 503 after 8 s for a 5 s timeout (the `FaultTests` busy-timeout case, seen under load
/// from session 6 on). This wait reads the monotonic clock from the start of each wait (SQLite
/// calls the handler with 0 tries first) and gives up once `timeout` has passed, so a request
/// waits at most the timeout plus one step, however late the sleeps wake.
struct SQLiteBusyWait: Sendable {
    /// SQLite's own sleeps between tries (`sqliteDefaultBusyCallback`), the last repeated.
    static let steps: [Duration] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100].map { .milliseconds($0) }

    let timeout: Duration
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let sleep: @Sendable (Duration) -> Void
    /// When the current wait of each thread began. A wait runs on one thread from its first try
    /// to its last, and a thread waits for one lock at a time; the configuration (and so this
    /// value) is shared by every connection opened with it. A second wait within one statement
    /// (SQLite counts tries per statement) counts from the first: the statement's waits together
    /// last at most the timeout, as with SQLite's own handler, which sums its sleeps per statement.
    private let started = Lock<[ObjectIdentifier: ContinuousClock.Instant]>([:])

    init(
        seconds: Double, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        sleep: @escaping @Sendable (Duration) -> Void = { duration in
            let (seconds, attoseconds) = duration.components
            usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        }
    ) {
        timeout = .milliseconds(Int64((seconds * 1000).rounded()))
        self.clock = clock
        self.sleep = sleep
    }

    /// GRDB's busy mode that waits this way.
    var mode: Database.BusyMode { .callback { tries in self.tryAgain(after: tries) } }

    /// Called by SQLite while the lock is held by another connection: sleeps a step and says to
    /// try again, or says to give up (`SQLITE_BUSY`) once the wait has lasted `timeout`.
    func tryAgain(after tries: Int) -> Bool {
        let now = clock()
        // Busy waits are rare: Foundation's thread object is cheap enough as the key, and portable.
        let thread = ObjectIdentifier(Thread.current)
        let start = started.withLock { started -> ContinuousClock.Instant in
            if tries == 0 || started[thread] == nil { started[thread] = now }
            return started[thread]!
        }
        let left = timeout - (now - start)
        guard left > .zero else {
            started.withLock { $0[thread] = nil }
            return false
        }
        sleep(min(Self.steps[min(tries, Self.steps.count - 1)], left))
        return true
    }
}
