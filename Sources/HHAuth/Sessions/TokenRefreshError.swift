/// Why a caller got no token although its session is fine; each is a 503 with `Retry-After`.
public enum TokenRefreshError: Error, Equatable, Sendable {
    /// Another process holds the refresh lease on the user's token and did not finish in time.
    case inProgressElsewhere
    /// The caller waited for another request's refresh of the same token as long as it may.
    case stillInProgress
    /// The refresh's new pair may not be saved: the sessions it belonged to were ended (or a login
    /// replaced the pair) while HH answered. The caller looks its session up again.
    case superseded
}
