import Foundation

/// One access token and the refresh token issued with it. HH treats them as a unit: refreshing,
/// revoking or deactivating ends both.
struct TokenPair: Sendable {
    /// Why a pair stopped working; `nil` in ``TokenPair/ending`` means it still works.
    enum Ending: Sendable, Equatable {
        /// Its refresh token was exchanged for a new pair.
        case refreshed
        /// `DELETE /oauth/token` was called with its access token.
        case revoked
        /// The user was deactivated (HH does this on a password change).
        case deactivated
    }

    let accessToken: String
    let refreshToken: String
    let userID: String
    let clientID: String
    var accessExpiresAt: Date
    var ending: Ending?

    func isAccessExpired(at now: Date) -> Bool {
        now >= accessExpiresAt
    }
}
