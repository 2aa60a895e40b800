import FastCGI
import Foundation
import Synchronization

/// The fake HeadHunter: answers `/oauth/authorize`, `/token`, `/me` and `DELETE /oauth/token` the
/// way HH documents them, plus a control API under `/_control/` that tests use to steer it.
///
/// The FastCGI server calls ``respond(to:)`` from many worker threads at once; all state sits in
/// one `Mutex`, so each request sees and leaves a consistent world (this is what makes "exactly one
/// of 32 concurrent refreshes wins" hold).
public final class StandInResponder: FastCGIResponder {
    let state: Mutex<StandInState>
    let clock: any StandInClock
    /// What `POST /_control/reset` returns to.
    let initialSettings: StandInSettings
    /// Changes whenever hanging requests must end early (reset, shutdown); each hang watches it.
    let hangGeneration = Atomic<Int>(0)

    /// - Parameters:
    ///   - settings: the start-up settings, also what a reset restores.
    ///   - clock: the time source for token and code expiry; tests pass one they move by hand.
    public init(settings: StandInSettings = StandInSettings(), clock: any StandInClock = SystemStandInClock()) {
        self.state = Mutex(StandInState(settings: settings))
        self.clock = clock
        self.initialSettings = settings
    }

    /// Answers one request: `/_control/*` first (no User-Agent needed), then HH's User-Agent rule,
    /// routing, any injected failure, and finally the endpoint itself.
    public func respond(to request: FastCGIRequest) -> FastCGIResponse {
        let incoming = IncomingRequest(request)
        if incoming.path.hasPrefix("/_control/") {
            return control(incoming)
        }
        guard incoming.hasUserAgent else {
            return ResponseBuilding.hhError(
                400, type: "bad_user_agent", value: "missing",
                description: "User-Agent or HH-User-Agent header is required")
        }
        let route: HHRoute
        switch HHRoute.match(method: incoming.method, path: incoming.path) {
        case .notFound: return ResponseBuilding.notFound()
        case .methodNotAllowed: return ResponseBuilding.methodNotAllowed()
        case .route(let matched): route = matched
        }
        if let failure = state.withLock({ $0.failures.take(for: route.failingEndpoint) }) {
            return answer(with: failure)
        }
        switch route {
        case .authorize: return authorize(incoming)
        case .token: return token(incoming)
        case .me: return me(incoming)
        case .revoke: return revoke(incoming)
        }
    }

    /// Lets every request held by a `hang` failure answer 504 at once. Called on shutdown, so a
    /// 30-second hang does not hold the process after SIGTERM.
    public func releaseHangingRequests() {
        hangGeneration.add(1, ordering: .sequentiallyConsistent)
    }

    private func answer(with failure: FailureMode) -> FastCGIResponse {
        switch failure {
        case .serverError:
            return ResponseBuilding.json(500, ["error": "server_error"])
        case .garbage:
            return FastCGIResponse(
                status: 200, headers: [(name: "Content-Type", value: "text/html; charset=utf-8")],
                body: Array("<html><body>502 Bad Gateway (not JSON)</body>".utf8))
        case .hang(let seconds):
            hang(seconds: seconds)
            return ResponseBuilding.json(504, ["error": "gateway_timeout"])
        }
    }

    /// Blocks this worker thread (never the lock) until the time is up or hangs are released.
    private func hang(seconds: Double) {
        let generation = hangGeneration.load(ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        while ContinuousClock.now < deadline && hangGeneration.load(ordering: .sequentiallyConsistent) == generation {
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
