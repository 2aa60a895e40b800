import Foundation

/// A user's HH token pair, decrypted.
public struct HHTokenRecord: Sendable, Equatable {
    public var userID: Int64
    public var accessToken: String
    public var refreshToken: String
    public var expiresAt: Date
    /// Bumped on every write; the refresh lease compares it so two processes never both refresh.
    public var version: Int64
}

/// What a client is handed: the access token and when it expires.
public struct AccessGrant: Sendable, Equatable {
    public var accessToken: String
    public var expiresAt: Date
}

/// Reads and writes `hh_tokens`, encrypting through the ``TokenVault``.
public struct HHTokenStore: Sendable {
    let vault: TokenVault
    let clock: any WallClock
    let opened = OpenedAccessTokens()

    public init(vault: TokenVault, clock: any WallClock) {
        self.vault = vault
        self.clock = clock
    }

    /// What saving a rotated pair came to.
    public enum RefreshedSave: Sendable, Equatable {
        case saved
        /// An earlier attempt did commit (its answer was lost to an error): nothing to do.
        case savedBefore
        /// The row no longer holds the pair the refresh token came from: the sessions were ended
        /// meanwhile (the row is gone) or a login replaced the pair. The new pair must not bring
        /// them back.
        case superseded
    }

    /// The access token of a row ``SessionLookup`` read, decrypted; the refresh token stays sealed.
    public func openAccess(_ sealed: SessionLookup.SealedToken, userID: Int64) throws -> AccessGrant {
        let now = clock.now().timeIntervalSince1970
        if let token = opened.token(userID: userID, keyID: sealed.keyID, ciphertext: sealed.accessToken, now: now) {
            return AccessGrant(accessToken: token, expiresAt: sealed.expiresAt)
        }
        let token = try vault.open(sealed.accessToken, keyID: sealed.keyID, userID: userID, field: "access")
        opened.remember(token, userID: userID, keyID: sealed.keyID, ciphertext: sealed.accessToken, now: now)
        return AccessGrant(accessToken: token, expiresAt: sealed.expiresAt)
    }

    /// Drops the opened access tokens whose minute is over (``OpenedAccessTokens``); the janitor's pass.
    public func forgetExpiredOpenedTokens() {
        opened.sweep(now: clock.now().timeIntervalSince1970)
    }
}
