/// Why an API call's Bearer token was refused; HH answers each with 403 and its own `value`.
enum AccessTokenProblem: Error, Sendable, Equatable {
    /// Past its lifetime, or already exchanged by a refresh (which is only allowed after expiry).
    case expired
    /// Revoked with `DELETE /oauth/token`, or its user was deactivated.
    case revoked
    /// No token, not a Bearer token, or a token nobody issued.
    case badAuthorization

    /// `errors[0].value` of the 403 body.
    var errorValue: String {
        switch self {
        case .expired: "token_expired"
        case .revoked: "token_revoked"
        case .badAuthorization: "bad_authorization"
        }
    }

    /// The legacy top-level `oauth_error`, which HH spells with dashes.
    var oauthError: String {
        switch self {
        case .expired: "token-expired"
        case .revoked: "token-revoked"
        case .badAuthorization: "bad-authorization"
        }
    }
}
