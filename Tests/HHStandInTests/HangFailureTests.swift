import Foundation
import HHStandIn
import Testing

/// `mode: hang` with short hangs, so the suite stays fast.
@Suite("/_control/fail mode hang")
struct HangFailureTests {
    let standIn = StandInHarness()

    @Test func hangHoldsTheRequestThenAnswers504() {
        _ = standIn.control("fail", #"{"endpoint":"me","mode":"hang","hang_seconds":0.2,"count":1}"#)
        let started = ContinuousClock.now
        let response = standIn.me("x")
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        #expect(response.status == 504)
        #expect(standIn.me("x").status == 403)
    }

    @Test func resetReleasesAHangingRequest() {
        _ = standIn.control("fail", #"{"endpoint":"token","mode":"hang","hang_seconds":30}"#)
        let done = DispatchSemaphore(value: 0)
        let responder = standIn.responder
        let request = StandInHarness.request("POST", "/token")
        let started = ContinuousClock.now
        Thread {
            _ = responder.respond(to: request)
            done.signal()
        }.start()
        // The worker thread may not have begun hanging when the first reset arrives; keep resetting.
        var released = false
        for _ in 0..<25 where !released {
            #expect(standIn.control("reset").status == 200)
            released = done.wait(timeout: .now() + 0.2) == .success
        }
        #expect(released)
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
