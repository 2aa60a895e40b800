import Foundation
import Testing
import WorkerThreads

@testable import FastCGI

/// A thread that binds its own seat, takes a turn, and then does what the test tells it.
private final class Worker: @unchecked Sendable {
    let gate: WorkerGate
    let seat: WorkerGate.Seat
    let finished = DispatchSemaphore(value: 0)
    private let body: @Sendable (WorkerGate.Seat) -> Void
    private let outcome = Lock<Bool?>(nil)

    /// Whether it got a turn; nil while it has not been answered.
    var gotTurn: Bool? { outcome.withLock { $0 } }

    init(_ gate: WorkerGate, body: @escaping @Sendable (WorkerGate.Seat) -> Void = { _ in }) {
        self.gate = gate
        self.seat = gate.seat()
        self.body = body
    }

    func start() {
        let thread = Thread { [self] in
            WorkerGate.bind(seat)
            gate.takeTurn(seat)
            outcome.withLock { $0 = true }
            body(seat)
            WorkerGate.bind(nil)
            finished.signal()
        }
        thread.start()
    }
}

/// Waits (up to 5 s) for the gate to reach a state another thread is driving it to.
private func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

private func waited(_ semaphore: DispatchSemaphore) -> Bool {
    semaphore.wait(timeout: .now() + 5) == .success
}

@Suite("WorkerGate")
struct WorkerGateTests {
    @Test func onlyTheLimitRunsAndTheRestStandBy() {
        let gate = WorkerGate(limit: 2)
        let release = DispatchSemaphore(value: 0)
        let workers = (0..<3).map { _ in Worker(gate) { _ in release.wait() } }
        workers.forEach { $0.start() }
        #expect(eventually { gate.counts == (2, 1) })
        #expect(workers.filter { $0.gotTurn == true }.count == 2)
        #expect(workers.filter { $0.gotTurn == nil }.count == 1)
        // Stopping lifts the limit: the standby worker runs too, to help drain what was received.
        gate.stop()
        #expect(eventually { workers.allSatisfy { $0.gotTurn != nil } })
        #expect(workers.filter { $0.gotTurn == true }.count == 3)
        release.signal()
        release.signal()
        release.signal()
        #expect(workers.allSatisfy { waited($0.finished) })
    }

    /// The point of the gate: a worker waiting on something slow must not keep the others out.
    @Test func aBlockingCallHandsTheTurnToAStandbyWorker() {
        let gate = WorkerGate(limit: 1)
        let mayCall = DispatchSemaphore(value: 0)
        let callMayEnd = DispatchSemaphore(value: 0)
        let yielded = Lock<Bool?>(nil)
        let first = Worker(gate) { seat in
            mayCall.wait()
            BlockingCall.run { callMayEnd.wait() }
            // The standby worker runs now, so this one must step aside after its request.
            yielded.withLock { $0 = !seat.holdsTurn }
        }
        let secondRuns = DispatchSemaphore(value: 0)
        let second = Worker(gate) { _ in secondRuns.signal() }
        first.start()
        #expect(eventually { first.gotTurn == true })
        second.start()
        #expect(eventually { gate.counts == (1, 1) })
        #expect(second.gotTurn == nil)
        mayCall.signal()
        #expect(waited(secondRuns))
        callMayEnd.signal()
        #expect(waited(first.finished))
        #expect(yielded.withLock { $0 } == true)
        #expect(gate.counts == (1, 0))
    }

    /// A request may wait more than once (a write, a call to HH, another write). A worker that
    /// already gave up its turn must not give it up again: the count would drift below the truth
    /// and let ever more workers run at once (found by profiling: after a few thousand logins
    /// all 32 ran again).
    @Test func waitingAgainWithoutATurnGivesNothingUp() {
        let gate = WorkerGate(limit: 1)
        let mayCall = DispatchSemaphore(value: 0)
        let secondMayFinish = DispatchSemaphore(value: 0)
        let heldAfterEachWait = Lock<[Bool]>([])
        let first = Worker(gate) { seat in
            mayCall.wait()
            for _ in 0..<3 {
                BlockingCall.run {}
                heldAfterEachWait.withLock { $0.append(seat.holdsTurn) }
            }
        }
        let second = Worker(gate) { _ in secondMayFinish.wait() }
        first.start()
        #expect(eventually { first.gotTurn == true })
        second.start()
        #expect(eventually { gate.counts == (1, 1) })
        mayCall.signal()
        #expect(waited(first.finished))
        // The standby worker took the turn at the first wait and still holds it.
        #expect(heldAfterEachWait.withLock { $0 } == [false, false, false])
        #expect(gate.counts == (1, 0))
        secondMayFinish.signal()
        #expect(waited(second.finished))
    }

    @Test func afterAWaitWithRoomTheWorkerRunsOn() {
        let gate = WorkerGate(limit: 2)
        let yielded = Lock<Bool?>(nil)
        let worker = Worker(gate) { seat in
            BlockingCall.run {}
            yielded.withLock { $0 = !seat.holdsTurn }
        }
        worker.start()
        #expect(waited(worker.finished))
        #expect(yielded.withLock { $0 } == false)
        #expect(gate.counts == (1, 0))
    }

    @Test func outsideAWorkerThreadABlockingCallJustRuns() throws {
        #expect(BlockingCall.run { 42 } == 42)
        struct Failure: Error {}
        #expect(throws: Failure.self) { try BlockingCall.run { throw Failure() } }
    }
}
