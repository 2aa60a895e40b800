import Foundation

extension StandInState {
    /// Codes expired longer ago than this are forgotten, so a long-running stand-in does not grow
    /// forever; until then an old code still gets "code expired" rather than "bad token".
    private static let forgetExpiredCodesAfter: TimeInterval = 3600

    /// Remembers a new code for `userID`, redeemable once by `clientID` with the same `redirectURI`.
    mutating func issueCode(userID: String, clientID: String, redirectURI: String, now: Date) -> String {
        codes = codes.filter { now.timeIntervalSince($0.value.expiresAt) < Self.forgetExpiredCodesAfter }
        let code = SecureRandom.token()
        codes[code] = AuthorizationCode(
            userID: userID, clientID: clientID, redirectURI: redirectURI,
            expiresAt: now.addingTimeInterval(Double(settings.codeLifetimeSeconds)))
        return code
    }

    /// The code grant: spends the code and issues a pair, or says why not.
    ///
    /// A code presented by another client is "bad token" (it is not that client's code); one with
    /// a different `redirect_uri` is HH's "bad redirect url". Neither spends the code.
    mutating func redeemCode(
        _ code: String, clientID: String, redirectURI: String, now: Date
    ) throws(TokenEndpointError) -> TokenPair {
        guard var entry = codes[code], entry.clientID == clientID else { throw .badToken }
        guard !entry.isUsed else { throw .codeAlreadyUsed }
        guard now < entry.expiresAt else { throw .codeExpired }
        guard entry.redirectURI == redirectURI else { throw .badRedirectURI }
        entry.isUsed = true
        codes[code] = entry
        stats.codeGrants += 1
        return issuePair(userID: entry.userID, clientID: clientID, now: now)
    }
}
