import Foundation
import HHStandIn
import Synchronization
import Testing

/// `mode: delay` (a slow HH that still answers) and the `in_flight` count of held requests.
@Suite("/_control/fail mode delay and in_flight")
struct DelayFailureTests {
    let standIn = StandInHarness()

    @Test func delayHoldsTheRequestThenAnswersNormally() {
        let code = standIn.code()
        let rule = #"{"endpoint":"token","mode":"delay","delay_seconds":0.2,"count":1}"#
        #expect(standIn.control("fail", rule).status == 200)
        let started = ContinuousClock.now
        let response = standIn.exchange(code)
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        #expect(response.status == 200)
        #expect((json(response)["access_token"] as? String)?.isEmpty == false)
        // The handler ran, so the grant is counted; the rule's one answer is spent.
        #expect(standIn.stats()["code_grants"] as? Int == 1)
        #expect(errorDescription(standIn.exchange(code)) == "code has already been used")
    }

    @Test func inFlightCountsDelayedRequestsUntilTheyAnswer() {
        #expect(standIn.stats()["in_flight"] as? Int == 0)
        _ = standIn.control("fail", #"{"endpoint":"token","mode":"delay","delay_seconds":30}"#)
        let codes = (0..<3).map { _ in standIn.code() }
        let answers = Mutex<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        for code in codes {
            let harness = standIn
            Thread {
                let status = harness.exchange(code).status
                answers.withLock { $0.append(status) }
                done.signal()
            }.start()
        }
        #expect(waitForInFlight(3))
        #expect(answers.withLock { $0.isEmpty })

        // Releasing lets a delay answer normally at once (a hang would answer 504).
        standIn.responder.releaseHangingRequests()
        for _ in codes { #expect(done.wait(timeout: .now() + 10) == .success) }
        #expect(answers.withLock { $0 } == [200, 200, 200])
        #expect(standIn.stats()["in_flight"] as? Int == 0)
        #expect(standIn.stats()["code_grants"] as? Int == 3)
    }

    @Test func inFlightCountsHangingRequestsToo() {
        _ = standIn.control("fail", #"{"endpoint":"me","mode":"hang","hang_seconds":30,"count":1}"#)
        let status = Mutex<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        let harness = standIn
        Thread {
            let answer = harness.me("x").status
            status.withLock { $0 = answer }
            done.signal()
        }.start()
        #expect(waitForInFlight(1))
        standIn.responder.releaseHangingRequests()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(status.withLock { $0 } == 504)
        #expect(standIn.stats()["in_flight"] as? Int == 0)
    }

    @Test func delayNeedsAValidDelaySeconds() {
        let missing = standIn.control("fail", #"{"endpoint":"token","mode":"delay"}"#)
        #expect(missing.status == 400)
        #expect(json(missing)["error"] as? String == "mode delay needs delay_seconds")
        #expect(standIn.control("fail", #"{"endpoint":"token","mode":"delay","delay_seconds":0}"#).status == 400)
        #expect(standIn.control("fail", #"{"endpoint":"token","mode":"delay","delay_seconds":3601}"#).status == 400)
        #expect(standIn.control("fail", #"{"endpoint":"token","mode":"delay","delay_seconds":"2"}"#).status == 400)
        let misplaced = standIn.control("fail", #"{"endpoint":"token","mode":"hang","delay_seconds":2}"#)
        #expect(misplaced.status == 400)
        #expect((json(misplaced)["error"] as? String)?.contains("delay_seconds") == true)
        // Nothing was injected by the refusals: the exchange answers at once.
        #expect(standIn.exchange(standIn.code()).status == 200)
    }

    /// Polls `/_control/stats` until `in_flight` is `count`, for at most five seconds.
    private func waitForInFlight(_ count: Int) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while ContinuousClock.now < deadline {
            if standIn.stats()["in_flight"] as? Int == count { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}
