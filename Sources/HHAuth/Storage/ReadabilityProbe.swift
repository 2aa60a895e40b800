import Foundation
import WorkerThreads

/// Answers "does the database answer?" for `/health`, asking it at most once per interval and,
/// once it has an answer, never from two threads at once.
///
/// Load balancers poll `/health` constantly; a read per poll would cost more than everything else
/// the endpoint does, and while the database is down each check may wait for a connection to fail:
/// polls that come meanwhile get the last answer instead of piling up behind it. Two exceptions:
/// before the first answer there is nothing to repeat, so each poll asks (a 503 from a service
/// that has not asked yet would be a lie, seen under load at start); and a check outstanding for
/// longer than two intervals is itself the answer (unhealthy), so a database that hangs instead
/// of failing shows within that, not after the connection's timeouts.
final class ReadabilityProbe: Sendable {
    private struct State {
        var checkedAt = -Double.infinity
        var readable = false
        /// When the check under way started; nil when none is.
        var checkStartedAt: Double?
    }

    private let check: @Sendable () -> Bool
    private let intervalSeconds: Double
    private let now: @Sendable () -> Double
    private let state = Lock(State())

    /// `check`: one question to the database (SQLite: a read; PostgreSQL: `SELECT 1`).
    /// `now`: seconds on a monotonic clock (a test's own).
    init(
        intervalSeconds: Double = 1, now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime },
        check: @escaping @Sendable () -> Bool
    ) {
        self.check = check
        self.intervalSeconds = intervalSeconds
        self.now = now
    }

    func isReadable() -> Bool {
        let started = now()
        let cached: Bool? = state.withLock { state in
            if started - state.checkedAt < intervalSeconds { return state.readable }
            if let checking = state.checkStartedAt, state.checkedAt > -Double.infinity {
                return started - checking > 2 * max(intervalSeconds, 0.5) ? false : state.readable
            }
            if state.checkStartedAt == nil { state.checkStartedAt = started }
            return nil
        }
        if let cached { return cached }
        let readable = check()
        state.withLock { state in
            if started >= state.checkedAt { (state.checkedAt, state.readable) = (started, readable) }
            if state.checkStartedAt == started { state.checkStartedAt = nil }
        }
        return readable
    }
}
