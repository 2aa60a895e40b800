import Foundation

extension StandInState {
    /// The refresh grant, with HH's rule that a refresh token works once and only after its access
    /// token has expired. Checked under the lock, so of concurrent refreshes exactly one wins and
    /// the rest get "token has already been refreshed".
    mutating func refresh(_ refreshToken: String, now: Date) throws(TokenEndpointError) -> TokenPair {
        do {
            let pair = try refreshedPair(refreshToken, now: now)
            stats.refreshGrants += 1
            return pair
        } catch {
            stats.refreshFailures += 1
            throw error
        }
    }

    private mutating func refreshedPair(_ refreshToken: String, now: Date) throws(TokenEndpointError) -> TokenPair {
        guard let accessToken = accessTokenByRefreshToken[refreshToken], var old = pairs[accessToken] else {
            throw .badToken
        }
        switch old.ending {
        case .refreshed: throw .tokenAlreadyRefreshed
        case .revoked: throw .tokenRevoked
        case .deactivated: throw .tokenDeactivated
        case nil: break
        }
        guard old.isAccessExpired(at: now) else { throw .tokenNotExpired }
        old.ending = .refreshed
        pairs[accessToken] = old
        return issuePair(userID: old.userID, clientID: old.clientID, now: now)
    }

    /// The pair of a working access token, or the 403 reason HH would give.
    func validPair(accessToken: String?, now: Date) throws(AccessTokenProblem) -> TokenPair {
        guard let accessToken, let pair = pairs[accessToken] else { throw .badAuthorization }
        switch pair.ending {
        case .revoked, .deactivated: throw .revoked
        // A refresh only succeeds once the access token has expired, so "expired" is what it is.
        case .refreshed: throw .expired
        case nil: break
        }
        guard !pair.isAccessExpired(at: now) else { throw .expired }
        return pair
    }

    /// `DELETE /oauth/token`: ends the pair of a working access token.
    mutating func revoke(accessToken: String?, now: Date) throws(AccessTokenProblem) {
        let pair = try validPair(accessToken: accessToken, now: now)
        pairs[pair.accessToken]?.ending = .revoked
    }

    /// What HH does on a password change: every pair of the user still in use stops working.
    /// Returns how many pairs were ended.
    @discardableResult
    mutating func deactivate(userID: String) -> Int {
        let affected = pairs.values.filter { $0.userID == userID && $0.ending == nil }.map(\.accessToken)
        for accessToken in affected {
            pairs[accessToken]?.ending = .deactivated
        }
        return affected.count
    }

    /// Makes every access token expire at `now`, so a test may refresh without waiting.
    /// Returns how many working tokens were expired.
    @discardableResult
    mutating func expireAccessTokens(now: Date) -> Int {
        let affected = pairs.values.filter { $0.ending == nil && !$0.isAccessExpired(at: now) }.map(\.accessToken)
        for accessToken in affected {
            pairs[accessToken]?.accessExpiresAt = now
        }
        return affected.count
    }
}
