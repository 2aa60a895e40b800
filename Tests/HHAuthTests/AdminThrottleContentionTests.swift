import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing
import WorkerThreads

@testable import HHAuth

/// Counts the slow waits it hears of; bound to one thread at a time.
final class SlowWaitCount: SlowWaitObserver, @unchecked Sendable {
    private let count = Lock(0)
    var begun: Int { count.withLock { $0 } }
    func slowWaitBegins() { count.withLock { $0 += 1 } }
    func slowWaitEnds() {}
}

/// Second review of issue 14 (N1, N3): the admin throttle's shared ledger under contention
/// drops no wrong password, and waiting for this node's turn gives the worker's seat away.
@Suite("Admin throttle under contention")
struct AdminThrottleContentionTests {
    let now = 1_750_000_000.0
    let limits = FailedLoginThrottle.Limits(maxFailures: 3, maxFailuresAllAddresses: 100, windowSeconds: 900)

    /// Three wrong passwords from `address` checked by `node` and settled while another session
    /// holds the throttle's table; returns that session, still holding it (`ROLLBACK` frees it).
    private func settleWrongPasswordsWhileTheLedgerIsHeld(
        _ node: FailedLoginThrottle, _ schema: TestSchema, address: String
    ) throws -> PGConnection {
        let tickets = try (0..<3).map { index in
            guard case .admitted(let ticket) = node.admit(address: address, now: now + Double(index)) else {
                throw Refused()
            }
            return ticket
        }
        let blocker = try schema.connect()
        try blocker.execute("BEGIN")
        try blocker.execute("LOCK TABLE admin_failures IN ACCESS EXCLUSIVE MODE")
        for (index, ticket) in tickets.enumerated() {
            node.settle(ticket, passwordWasRight: false, now: now + Double(index))
        }
        return blocker
    }

    /// Three wrong passwords settled while another session holds the throttle's table (the
    /// ledger busy past its deadline): none is lost. The next step of the node records them
    /// first, so the address is refused at once there and on the other node.
    @Test func wrongPasswordsSettledWhileTheLedgerIsHeldAreRecordedByTheNextStep() throws {
        let fixture = try ThrottleFixture(.postgresql, limits)
        let schema = try #require(fixture.schema)
        // No background retry within the test: only the next step can record them.
        let node = FailedLoginThrottle(limits, shared: try ThrottleFixture.shared(schema), retrySeconds: 3600)
        let other = try fixture.node()
        let blocker = try settleWrongPasswordsWhileTheLedgerIsHeld(node, schema, address: "198.51.100.7")
        defer { blocker.close() }
        #expect(node.unrecordedFailures == 3)
        // While held no password is checked at all.
        #expect(node.admit(address: "198.51.100.7", now: now + 3) == .unavailable(retryAfter: 5))
        try blocker.execute("ROLLBACK")

        #expect(node.admit(address: "198.51.100.7", now: now + 4) == .refused(retryAfter: 896))
        #expect(node.unrecordedFailures == 0)
        #expect(other.admit(address: "198.51.100.7", now: now + 4) == .refused(retryAfter: 896))
        #expect(isAdmitted(other.admit(address: "203.0.113.5", now: now + 4)))
    }

    /// The same with no request on that node after: its background retry records them, and the
    /// other node refuses the address.
    @Test func wrongPasswordsLeftUnrecordedReachTheOtherNodesInTheBackground() throws {
        let fixture = try ThrottleFixture(.postgresql, limits)
        let schema = try #require(fixture.schema)
        let node = FailedLoginThrottle(limits, shared: try ThrottleFixture.shared(schema), retrySeconds: 0.1)
        let other = try fixture.node()
        let blocker = try settleWrongPasswordsWhileTheLedgerIsHeld(node, schema, address: "198.51.100.8")
        defer { blocker.close() }
        try blocker.execute("ROLLBACK")
        // Until the retry has run: a condition, polled every 10 ms (not a sleep standing in for it).
        let deadline = Date().addingTimeInterval(15)
        while node.unrecordedFailures > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(node.unrecordedFailures == 0, "the unrecorded failures were never retried")
        #expect(other.admit(address: "198.51.100.8", now: now + 4) == .refused(retryAfter: 896))
    }

    /// A step waiting for this node's turn (another thread has it) is a slow wait: the worker's
    /// running seat goes to another. Past the deadline it fails as this node's turn, not as the
    /// database's error.
    @Test func waitingForTheTurnIsASlowWaitAndNotADatabaseError() throws {
        let schema = try TestSchema()
        let store = PostgreSQLFailedLogins(try PGConnectionString(schema.conninfo), limits: limits, waitSeconds: 0.3)
        let inStep = Gate()
        let release = Gate()
        let step = Background {
            try store.withLedger { _ in
                inStep.open()
                release.wait(timeoutSeconds: 30)
            }
        }
        defer { release.open() }
        #expect(inStep.wait())
        let waiting = Background { () -> (Int, Bool) in
            let observer = SlowWaitCount()
            BlockingCall.bind(observer)
            defer { BlockingCall.bind(nil) }
            var timedOut = false
            do { try store.withLedger { _ in } } catch is LocalTurnTimeout { timedOut = true }
            return (observer.begun, timedOut)
        }
        #expect(waiting.finishes(withinSeconds: 10))
        let (begun, timedOut) = try waiting.result()
        #expect(begun == 1)
        #expect(timedOut)
        release.open()
        try step.result()
    }

    private struct Refused: Error {}

    /// A node whose throttle store waits up to 30 s for its turn (far past the tests' own
    /// deadlines: only the seats answer while the ledger is held), and the ledger held by
    /// `blocker`'s open transaction until it rolls back.
    private func heldLedger() throws -> (ThrottleFixture, PostgreSQLFailedLogins, FailedLoginThrottle, PGConnection) {
        let fixture = try ThrottleFixture(.postgresql, limits)
        let schema = try #require(fixture.schema)
        let base = try ThrottleFixture.shared(schema)
        let store = PostgreSQLFailedLogins(try PGConnectionString(schema.conninfo), limits: limits, waitSeconds: 30)
        let shared = SharedNodeState(
            windowCounts: base.windowCounts, failedLogins: { _ in store }, janitorLeadership: base.janitorLeadership)
        let node = FailedLoginThrottle(limits, shared: shared, retrySeconds: 3600)
        let blocker = try schema.connect()
        try blocker.execute("BEGIN")
        try blocker.execute("LOCK TABLE admin_failures IN ACCESS EXCLUSIVE MODE")
        return (fixture, store, node, blocker)
    }

    /// Third review's H2 residual: garbage credentials from many addresses at once while the
    /// ledger is held. At most the store's few seats hold or wait for the turn (each a worker
    /// thread); the others are answered busy at once (503), never admitted unchecked, instead of
    /// each holding a worker thread until the deadline.
    @Test func onlyAFewStepsWaitForTheTurnAndTheRestAreAnsweredBusyAtOnce() throws {
        let (fixture, store, node, blocker) = try heldLedger()
        defer { withExtendedLifetime(fixture) { blocker.close() } }

        let seats = PostgreSQLFailedLogins.defaultMaxSteps
        let answers = Lock<[FailedLoginThrottle.Admission]>([])
        let checks = (0..<(seats + 6)).map { index in
            Background {
                let admission = node.admit(address: "198.51.100.\(20 + index)", now: now)
                answers.withLock { $0.append(admission) }
            }
        }
        // Until the six past the seats have been answered: a condition, polled every 10 ms.
        let deadline = Date().addingTimeInterval(15)
        while answers.withLock({ $0.count }) < 6 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(answers.withLock { $0 } == Array(repeating: .unavailable(retryAfter: 5), count: 6))
        #expect(store.stepsUnderWay == seats)

        try blocker.execute("ROLLBACK")
        for check in checks { #expect(check.finishes(withinSeconds: 30)) }
        #expect(answers.withLock { $0.filter(isAdmitted).count } == seats)
        #expect(store.stepsUnderWay == 0)
    }

    /// An admin's script with eight calls at once, while the ledger is held for a moment: all eight
    /// wait their turn and are admitted (with four seats, four were answered 503: `make bench`'s
    /// seeding of the whitelist failed so).
    @Test func eightParallelAdminCallsWaitTheirTurnAndPass() throws {
        let (fixture, store, node, blocker) = try heldLedger()
        defer { withExtendedLifetime(fixture) { blocker.close() } }
        let answers = Lock<[FailedLoginThrottle.Admission]>([])
        let calls = (0..<8).map { _ in
            Background {
                let admission = node.admit(address: "203.0.113.9", now: now)
                answers.withLock { $0.append(admission) }
            }
        }
        // Until all eight hold or wait for the turn: a condition, polled every 10 ms.
        let deadline = Date().addingTimeInterval(15)
        while store.stepsUnderWay + answers.withLock({ $0.count }) < 8 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(answers.withLock { $0 }.isEmpty, "none answered while the ledger is held")
        try blocker.execute("ROLLBACK")
        for call in calls { #expect(call.finishes(withinSeconds: 30)) }
        #expect(answers.withLock { $0.filter(isAdmitted).count } == 8)
    }

    /// A failure written late (it waited in the node's queue) carries its own, older time: the
    /// ledger's "newest failures" are the newest by that time, not by when they were written, so a
    /// late write never pushes a newer failure out of the cap's or the guard's count.
    @Test func aFailureWrittenLateCountsByItsOwnTime() throws {
        let fixture = try ThrottleFixture(.postgresql, limits)
        let schema = try #require(fixture.schema)
        let store = PostgreSQLFailedLogins(try PGConnectionString(schema.conninfo), limits: limits)
        for at in [now + 100, now + 101, now + 102, now + 50] {
            try store.withLedger { try $0.addFailure(address: "198.51.100.9", now: at) }
        }
        #expect(try store.withLedger { try $0.failures(address: "198.51.100.9") } == [now + 100, now + 101, now + 102])
    }
}
