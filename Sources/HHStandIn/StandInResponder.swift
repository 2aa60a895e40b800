import Foundation
import HTTPCore
import Synchronization
import WorkerThreads

/// The fake HeadHunter: answers `/oauth/authorize`, `/token`, `/me` and `DELETE /oauth/token` the
/// way HH documents them, plus a control API under `/_control/` that tests use to steer it.
///
/// The FastCGI server (through FastCGIHTTP) calls ``respond(to:)`` from many worker threads at
/// once; all state sits in one `Lock`, so each request sees and leaves a consistent world (this is what makes "exactly one
/// of 32 concurrent refreshes wins" hold).
public final class StandInResponder: HTTPResponder {
    let state: Lock<StandInState>
    let clock: any StandInClock
    /// What `POST /_control/reset` returns to.
    let initialSettings: StandInSettings
    /// Changes whenever held requests must end early (reset, shutdown); each hang and delay watches it.
    let hangGeneration = Atomic<Int>(0)
    /// Requests held by a `hang` or `delay` failure right now: `in_flight` of `/_control/stats`.
    let inFlight = Atomic<Int>(0)

    /// - Parameters:
    ///   - settings: the start-up settings, also what a reset restores.
    ///   - clock: the time source for token and code expiry; tests pass one they move by hand.
    public init(settings: StandInSettings = StandInSettings(), clock: any StandInClock = SystemStandInClock()) {
        self.state = Lock(StandInState(settings: settings))
        self.clock = clock
        self.initialSettings = settings
    }

    /// Answers one request: `/_control/*` first (no User-Agent needed), then HH's User-Agent rule,
    /// routing, any injected failure, and finally the endpoint itself.
    public func respond(to incoming: HTTPRequest) -> HTTPResponse {
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
            return answer(with: failure) { endpoint(route, incoming) }
        }
        return endpoint(route, incoming)
    }

    /// Lets every request held by a `hang` or `delay` failure go at once: a hang answers 504, a
    /// delay answers normally. Called on reset and on shutdown, so a 30-second hang does not hold
    /// the process after SIGTERM.
    public func releaseHangingRequests() {
        hangGeneration.add(1, ordering: .sequentiallyConsistent)
    }

    /// The endpoint itself, once the User-Agent, the route and any injected failure are dealt with.
    private func endpoint(_ route: HHRoute, _ incoming: HTTPRequest) -> HTTPResponse {
        switch route {
        case .authorize: authorize(incoming)
        case .token: token(incoming)
        case .me: me(incoming)
        case .revoke: revoke(incoming)
        }
    }
}
