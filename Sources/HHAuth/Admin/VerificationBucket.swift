/// A token bucket on password verifications: `perSecond` tokens a second, at most `burst` saved up.
///
/// A value type, kept under the throttle's lock. A clock that steps back adds nothing.
struct VerificationBucket: Sendable {
    private let perSecond: Double
    private let burst: Double
    private var tokens: Double
    private var updated: Double?

    init(perSecond: Double, burst: Double) {
        self.perSecond = max(0.001, perSecond)
        self.burst = max(1, burst)
        tokens = self.burst
    }

    /// A bucket as it was saved (``saved``): `tokens` nil for a full one never used.
    init(perSecond: Double, burst: Double, tokens: Double?, updated: Double?) {
        self.init(perSecond: perSecond, burst: burst)
        if let tokens { self.tokens = min(self.burst, tokens) }
        self.updated = updated
    }

    /// What to keep to rebuild the bucket elsewhere.
    var saved: (tokens: Double, updated: Double?) { (tokens, updated) }

    /// Takes one token: `nil` when there was one, else the seconds until there will be.
    mutating func take(now: Double) -> Double? {
        if let updated { tokens = min(burst, tokens + max(0, now - updated) * perSecond) }
        updated = max(updated ?? now, now)
        guard tokens >= 1 else { return (1 - tokens) / perSecond }
        tokens -= 1
        return nil
    }
}
