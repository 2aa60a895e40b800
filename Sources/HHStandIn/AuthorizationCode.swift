import Foundation

/// A code handed out by `/oauth/authorize`: single-use, short-lived and bound to the client and the
/// `redirect_uri` it was issued for.
struct AuthorizationCode: Sendable {
    let userID: String
    let clientID: String
    let redirectURI: String
    let expiresAt: Date
    /// Kept after use so a second exchange gets HH's "code has already been used", not "bad token".
    var isUsed = false
}
