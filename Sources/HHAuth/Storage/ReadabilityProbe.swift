import Foundation
import WorkerThreads

/// Answers "does the database answer?" for `/health`, asking it at most once per interval and
/// never from two threads at once.
///
/// Load balancers poll `/health` constantly; a read per poll would cost more than everything else
/// the endpoint does, and while the database is down each check may wait for a connection to fail:
/// polls that come meanwhile get the last answer instead of piling up behind it. A failure is
/// still reported within `intervalSeconds` plus one check.
final class ReadabilityProbe: Sendable {
    private let check: @Sendable () -> Bool
    private let intervalSeconds: Double
    private let last = Lock<(checkedAt: Double, readable: Bool, checking: Bool)>((-Double.infinity, false, false))

    /// `check`: one question to the database (SQLite: a read; PostgreSQL: `SELECT 1`).
    init(intervalSeconds: Double = 1, check: @escaping @Sendable () -> Bool) {
        self.check = check
        self.intervalSeconds = intervalSeconds
    }

    func isReadable() -> Bool {
        let now = ProcessInfo.processInfo.systemUptime
        let cached: Bool? = last.withLock { state in
            if now - state.checkedAt < intervalSeconds || state.checking { return state.readable }
            state.checking = true
            return nil
        }
        if let cached { return cached }
        let readable = check()
        last.withLock { $0 = (now, readable, false) }
        return readable
    }
}
