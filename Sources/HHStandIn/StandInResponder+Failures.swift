import Foundation
import HTTPCore
import WorkerThreads

extension StandInResponder {
    /// Answers a request that drew an injected failure. `endpoint` builds the normal answer, which
    /// only `delay` gives (after its wait).
    func answer(with failure: FailureMode, otherwise endpoint: () -> HTTPResponse) -> HTTPResponse {
        switch failure {
        case .serverError:
            return ResponseBuilding.json(500, ["error": "server_error"])
        case .garbage:
            return HTTPResponse(
                status: 200, headers: [HTTPHeader("Content-Type", "text/html; charset=utf-8")],
                body: Array("<html><body>502 Bad Gateway (not JSON)</body>".utf8))
        case .hang(let seconds):
            return whileHeld {
                hold(seconds: seconds)
                return ResponseBuilding.json(504, ["error": "gateway_timeout"])
            }
        case .delay(let seconds):
            return whileHeld {
                hold(seconds: seconds)
                return endpoint()
            }
        }
    }

    /// Runs `body` counted in ``inFlight``: from before the wait until the answer is built, so a
    /// test that sees `in_flight == N` knows N requests are parked here and none has answered yet.
    private func whileHeld(_ body: () -> HTTPResponse) -> HTTPResponse {
        inFlight.add(1, ordering: .sequentiallyConsistent)
        defer { inFlight.subtract(1, ordering: .sequentiallyConsistent) }
        return body()
    }

    /// Blocks this worker thread (never the lock) until the time is up or held requests are
    /// released; a slow wait for the server, so other workers go on answering meanwhile.
    private func hold(seconds: Double) {
        BlockingCall.run { wait(seconds: seconds) }
    }

    private func wait(seconds: Double) {
        let generation = hangGeneration.load(ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        while ContinuousClock.now < deadline && hangGeneration.load(ordering: .sequentiallyConsistent) == generation {
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
