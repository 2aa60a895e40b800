/// An error answer of `POST /token`: 400 `{"error":…,"error_description":…}` with HeadHunter's words.
///
/// The descriptions are the ones HH documents (docs/errors.md of hhru/api), because the service
/// under test decides what to do by them: "token not expired" means "someone else refreshed".
struct TokenEndpointError: Error, Sendable, Equatable, Encodable {
    let error: String
    let errorDescription: String

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }

    static let codeAlreadyUsed = invalidGrant("code has already been used")
    static let codeExpired = invalidGrant("code expired")
    static let badToken = invalidGrant("bad token")
    static let tokenNotExpired = invalidGrant("token not expired")
    static let tokenAlreadyRefreshed = invalidGrant("token has already been refreshed")
    static let tokenRevoked = invalidGrant("token was revoked")
    static let tokenDeactivated = invalidGrant("token deactivated")
    static let invalidClient = TokenEndpointError(
        error: "invalid_client", errorDescription: "client_id or client_secret not found")
    static let badRedirectURI = invalidRequest("bad redirect url")
    static let unsupportedGrantType = TokenEndpointError(
        error: "unsupported_grant_type", errorDescription: "unsupported grant_type")
    static let notForm = invalidRequest("body must be application/x-www-form-urlencoded")

    /// A required form field was absent or empty; HH's own wording for the refresh token.
    static func missing(_ field: String) -> TokenEndpointError {
        field == "refresh_token" ? invalidRequest("token is empty") : invalidRequest("\(field) is required")
    }

    private static func invalidGrant(_ description: String) -> TokenEndpointError {
        TokenEndpointError(error: "invalid_grant", errorDescription: description)
    }

    private static func invalidRequest(_ description: String) -> TokenEndpointError {
        TokenEndpointError(error: "invalid_request", errorDescription: description)
    }
}
