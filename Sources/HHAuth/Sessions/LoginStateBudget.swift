/// Bounds the OAuth states anonymous clients can make the service write: every `/auth/login`
/// stores one (an fsync'd row), before anyone has signed in. A state lives one state lifetime, so
/// counting the states issued per lifetime window bounds the live ones: at most `perAddress` per
/// client address (429 past it) and `overall` across all addresses (503 past it) per window.
/// Real sign-ins take one state each and consume it within minutes, far below either bound.
final class LoginStateBudget: Sendable {
    /// Which bound refused, and when to try again.
    struct Refusal: Sendable, Equatable {
        var limit: LoginMetrics.StartLimit
        var retryAfterSeconds: Int
    }

    private let perAddress: ClientRateLimiter?
    /// One counter shared by every address, kept under a single key.
    private let overall: ClientRateLimiter?

    /// A bound of 0 is no bound (`RATE_LIMITS=off`, for benchmarks).
    init(perAddress: Int, overall: Int, windowSeconds: Int) {
        let window = max(1, windowSeconds)
        self.perAddress = perAddress > 0 ? ClientRateLimiter(limit: perAddress, windowSeconds: window) : nil
        self.overall =
            overall > 0 ? ClientRateLimiter(limit: overall, windowSeconds: window, capacity: 1, shardCount: 1) : nil
    }

    /// Counts one state for `address` at Unix time `now`; `nil` when it may be issued.
    func admit(_ address: String, now: Int) -> Refusal? {
        if let mine = perAddress?.check(address, now: now), !mine.allowed {
            return Refusal(limit: .address, retryAfterSeconds: max(1, mine.resetAt - now))
        }
        if let everyone = overall?.check("", now: now), !everyone.allowed {
            return Refusal(limit: .overall, retryAfterSeconds: max(1, everyone.resetAt - now))
        }
        return nil
    }
}
