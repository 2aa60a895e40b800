import Foundation
import WorkerThreads

/// Answers "does the database answer?" for `/health`, asking it at most once per interval and
/// never from two threads at once.
///
/// Load balancers poll `/health` constantly; a read per poll would cost more than everything else
/// the endpoint does, and while the database is down each check may wait for a connection to fail:
/// polls that come meanwhile get the last answer instead of piling up behind it, until the check
/// has been out longer than `intervalSeconds` plus `graceSeconds`: a database that takes that long
/// to answer `SELECT 1` is not answering, and polls say so (false) while the check still waits. A
/// failure is reported within `intervalSeconds` plus one check, or plus the grace if the check hangs.
final class ReadabilityProbe: Sendable {
    private let check: @Sendable () -> Bool
    private let intervalSeconds: Double
    private let graceSeconds: Double
    private let now: @Sendable () -> Double
    /// The last answer and when its check began; when the check under way began, if one is.
    private let last = Lock<(checkedAt: Double, readable: Bool, checkingSince: Double?)>((-Double.infinity, false, nil))

    /// `check`: one question to the database (SQLite: a read; PostgreSQL: `SELECT 1`). `now`:
    /// monotonic seconds (tests pass a clock of their own).
    init(
        intervalSeconds: Double = 1, graceSeconds: Double = 1,
        now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime },
        check: @escaping @Sendable () -> Bool
    ) {
        self.check = check
        self.intervalSeconds = intervalSeconds
        self.graceSeconds = graceSeconds
        self.now = now
    }

    func isReadable() -> Bool {
        let now = now()
        let cached: Bool? = last.withLock { state in
            if let since = state.checkingSince {
                return now - since > intervalSeconds + graceSeconds ? false : state.readable
            }
            if now - state.checkedAt < intervalSeconds { return state.readable }
            state.checkingSince = now
            return nil
        }
        if let cached { return cached }
        let readable = check()
        last.withLock { $0 = (now, readable, nil) }
        return readable
    }
}
