/// Why a sign-in did not go through. ``ErrorMapping`` turns each into the contract's answer.
public enum LoginError: Error, Equatable {
    /// The `redirect_uri` a login asked for is not one of the configured client redirects.
    case redirectNotAllowed
    /// The `rd` a browser sign-in or sign-out asked to return to is refused by ``ReturnTargetPolicy``.
    case returnTargetNotAllowed
    /// `/auth/login` was given both `rd` (a browser session) and `redirect_uri` (a program's code).
    case returnTargetWithRedirect
    /// The state is forged, expired, used, or held by another callback that is under way.
    case invalidState
    /// The callback's browser does not hold the pre-auth cookie its state was issued with: the
    /// sign-in was started in another browser (a callback URL replayed there, login CSRF), or the
    /// cookie is gone (cookies off, expired, a client without a cookie jar). See ``BrowserBinding``.
    case browserMismatch
    /// The user declined at HH.
    case accessDenied
    /// The callback carries no authorization code, or nothing that looks like one.
    case malformedCode
    /// HH refused the authorization code (used, expired, or issued to another client).
    case codeRejected
    /// The HH user is not on the whitelist.
    case notWhitelisted(hhUserID: String)
    /// Too many sign-ins from the client's address of late; it may try again after this many seconds.
    case tooManyFromClient(retryAfterSeconds: Int)
    /// As many sign-ins as may talk to HH at once already do.
    case tooManyAtOnce
    /// The exchange code is unknown, used or expired, or its user has left the whitelist since.
    case invalidExchangeCode
}
