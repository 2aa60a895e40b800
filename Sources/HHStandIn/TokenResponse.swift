/// The body of a successful `POST /token`.
struct TokenResponse: Sendable, Encodable {
    let accessToken: String
    let tokenType = "bearer"
    let expiresIn: Int
    let refreshToken: String

    init(_ pair: TokenPair, lifetimeSeconds: Int) {
        accessToken = pair.accessToken
        expiresIn = lifetimeSeconds
        refreshToken = pair.refreshToken
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
    }
}
