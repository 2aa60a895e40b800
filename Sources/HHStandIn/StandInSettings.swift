/// The knobs of the stand-in: those set at start-up (environment) and those the control API can change.
///
/// `POST /_control/reset` goes back to the settings the responder was created with.
public struct StandInSettings: Sendable, Equatable {
    /// HeadHunter's lifetime for an access token: 14 days.
    public static let hhTokenLifetimeSeconds = 1_209_600
    /// How long an authorization code may wait for its exchange.
    public static let defaultCodeLifetimeSeconds = 600

    /// When set, `/oauth/authorize` and the code grant accept only this client id.
    public var clientID: String?
    /// When set, the code grant accepts only this client secret.
    public var clientSecret: String?
    /// `expires_in` of every issued access token.
    public var tokenLifetimeSeconds: Int
    /// Added to the `expires_in` the token endpoint reports, not to the token's life here (zero or
    /// less): a test makes a client hold as expired a token HH still takes, without waiting.
    public var expiresInOffsetSeconds = 0
    /// How long an authorization code stays redeemable.
    public var codeLifetimeSeconds: Int
    /// The user who "signs in" when `/oauth/authorize` has no `as_user`.
    public var defaultUserID: String

    /// Defaults are HH's: 14-day tokens, 10-minute codes, any client, Иван Петров as the user.
    public init(
        clientID: String? = nil,
        clientSecret: String? = nil,
        tokenLifetimeSeconds: Int = StandInSettings.hhTokenLifetimeSeconds,
        codeLifetimeSeconds: Int = StandInSettings.defaultCodeLifetimeSeconds,
        defaultUserID: String = UserProfile.ivanPetrov.id
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.codeLifetimeSeconds = codeLifetimeSeconds
        self.defaultUserID = defaultUserID
    }

    /// The `expires_in` the token endpoint reports.
    var reportedExpiresIn: Int { max(0, tokenLifetimeSeconds + expiresInOffsetSeconds) }
}
