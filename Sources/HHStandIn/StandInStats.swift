/// What `GET /_control/stats` reports. End-to-end tests read it to prove what the service did,
/// e.g. that 32 concurrent requests caused exactly one refresh.
///
/// Calls answered by an injected failure (`/_control/fail`) or refused for a missing User-Agent
/// never reach a handler and are not counted; a `delay` only postpones the handler, so a delayed
/// call is counted like any other.
struct StandInStats: Sendable, Equatable, Codable {
    /// Calls of `GET /oauth/authorize`, approved, denied or refused alike.
    var authorize = 0
    /// Successful code exchanges (`grant_type=authorization_code` that issued tokens).
    var codeGrants = 0
    /// Successful refreshes (`grant_type=refresh_token` that issued a new pair).
    var refreshGrants = 0
    /// Refresh attempts answered with an error, whatever the reason.
    var refreshFailures = 0
    /// Calls of `GET /me`, answered 200 or 403.
    var me = 0
    /// Calls of `DELETE /oauth/token`, answered 204 or 403.
    var revoke = 0
    /// Access tokens that would be accepted right now; filled in when the stats are read.
    var activeAccessTokens = 0
    /// Requests held by a `hang` or `delay` failure right now, counted from before the wait until
    /// their answer is built; filled in when the stats are read. A reset does not zero it: the
    /// requests it counts are still there (the reset lets them go).
    var inFlight = 0

    enum CodingKeys: String, CodingKey {
        case authorize
        case codeGrants = "code_grants"
        case refreshGrants = "refresh_grants"
        case refreshFailures = "refresh_failures"
        case me
        case revoke
        case activeAccessTokens = "active_access_tokens"
        case inFlight = "in_flight"
    }
}
