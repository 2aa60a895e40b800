import Foundation
import WorkerThreads

/// Answers "does the database answer?" for `/health`, asking it at most once per interval and
/// never from two threads at once.
///
/// Load balancers poll `/health` constantly; a read per poll would cost more than everything else
/// the endpoint does, and while the database is down each check may wait for a connection to fail:
/// polls that come meanwhile get the last answer instead of piling up behind it. Two exceptions:
/// before the first answer there is nothing to repeat, so polls wait for the first check's answer
/// (a 503 from a service that has not asked yet would be a lie, seen under load at start), up to
/// `firstAnswerWaitSeconds`, then answer false (a database silent at start holds one check, not
/// one per poll); and a check outstanding for longer than two intervals is itself the answer
/// (unhealthy), so a database that hangs instead of failing shows within that, not after the
/// connection's timeouts.
final class ReadabilityProbe: @unchecked Sendable {
    private struct State {
        var checkedAt = -Double.infinity
        var readable = false
        /// When the check under way started; nil when none is.
        var checkStartedAt: Double?
        /// Polls waiting for the first answer.
        var waiting = 0
    }

    private let check: @Sendable () -> Bool
    private let intervalSeconds: Double
    private let firstAnswerWaitSeconds: Double
    private let now: @Sendable () -> Double
    /// Guards `state`; signalled when a check ends.
    private let condition = NSCondition()
    private var state = State()

    /// `check`: one question to the database (SQLite: a read; PostgreSQL: `SELECT 1`).
    /// `firstAnswerWaitSeconds`: how long a poll waits for the first check's answer (real time;
    /// the interval unless given). `now`: seconds on a monotonic clock (a test's own).
    init(
        intervalSeconds: Double = 1, firstAnswerWaitSeconds: Double? = nil,
        now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime },
        check: @escaping @Sendable () -> Bool
    ) {
        self.check = check
        self.intervalSeconds = intervalSeconds
        self.firstAnswerWaitSeconds = firstAnswerWaitSeconds ?? intervalSeconds
        self.now = now
    }

    /// Polls waiting for the first answer now (for tests).
    var pollsWaitingForTheFirstAnswer: Int {
        condition.lock()
        defer { condition.unlock() }
        return state.waiting
    }

    func isReadable() -> Bool {
        let started = now()
        condition.lock()
        if started - state.checkedAt < intervalSeconds {
            defer { condition.unlock() }
            return state.readable
        }
        if let checking = state.checkStartedAt {
            defer { condition.unlock() }
            guard state.checkedAt == -Double.infinity else {
                return started - checking > 2 * max(intervalSeconds, 0.5) ? false : state.readable
            }
            return firstAnswer()
        }
        state.checkStartedAt = started
        condition.unlock()
        let readable = check()
        condition.lock()
        if started >= state.checkedAt { (state.checkedAt, state.readable) = (started, readable) }
        if state.checkStartedAt == started { state.checkStartedAt = nil }
        condition.broadcast()
        condition.unlock()
        return readable
    }

    /// The first check's answer, waited for up to ``firstAnswerWaitSeconds``; false when it has
    /// not come by then. Called with `condition` locked.
    private func firstAnswer() -> Bool {
        let deadline = Date().addingTimeInterval(firstAnswerWaitSeconds)
        state.waiting += 1
        defer { state.waiting -= 1 }
        while state.checkedAt == -Double.infinity, state.checkStartedAt != nil {
            if !condition.wait(until: deadline) { break }
        }
        return state.checkedAt > -Double.infinity ? state.readable : false
    }
}
