import Foundation

/// Everything the stand-in remembers. Lives inside one `Lock` in ``StandInResponder``, so every
/// method here runs with the lock held and may assume nobody else sees a half-done change.
struct StandInState: Sendable {
    var settings: StandInSettings
    var profiles: [String: UserProfile]
    var codes: [String: AuthorizationCode] = [:]
    /// Every pair ever issued since the last reset, keyed by access token. Ended pairs stay, so a
    /// late caller gets "token has already been refreshed" rather than "bad token".
    var pairs: [String: TokenPair] = [:]
    var accessTokenByRefreshToken: [String: String] = [:]
    var stats = StandInStats()
    var failures = FailurePlan()

    init(settings: StandInSettings) {
        self.settings = settings
        self.profiles = [UserProfile.ivanPetrov.id: UserProfile.ivanPetrov]
    }

    /// The profile of `userID`, generated and remembered when nobody registered one, so the tokens
    /// of an `as_user` sign-in always lead to a profile on `/me`.
    mutating func profile(for userID: String) -> UserProfile {
        if let known = profiles[userID] { return known }
        let generated = UserProfile.generated(id: userID)
        profiles[userID] = generated
        return generated
    }

    /// Issues a fresh pair whose access token lives for the configured lifetime from `now`.
    mutating func issuePair(userID: String, clientID: String, now: Date) -> TokenPair {
        let pair = TokenPair(
            accessToken: SecureRandom.token(), refreshToken: SecureRandom.token(), userID: userID,
            clientID: clientID, accessExpiresAt: now.addingTimeInterval(Double(settings.tokenLifetimeSeconds)),
            ending: nil)
        pairs[pair.accessToken] = pair
        accessTokenByRefreshToken[pair.refreshToken] = pair.accessToken
        return pair
    }

    /// The statistics with the live token count filled in.
    func currentStats(now: Date) -> StandInStats {
        var current = stats
        current.activeAccessTokens = pairs.values.count { $0.ending == nil && !$0.isAccessExpired(at: now) }
        return current
    }
}
