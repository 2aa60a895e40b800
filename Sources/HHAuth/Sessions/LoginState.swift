import Foundation

/// OAuth `state` values: the only CSRF defence HH offers, so each is good once and briefly.
///
/// Issuing one writes nothing: the state is a ``LoginStateSeal`` the callback verifies by itself
/// (an anonymous flood of `/auth/login` costs no write and leaves no budget to exhaust). Only a
/// callback presenting an authentic, unexpired state writes: the state's SHA-256 goes into
/// `oauth_states`, the table of used states, whose primary key lets exactly one callback win.
/// Rows live as long as their state could (`expires_at`), then the janitor deletes them.
public struct LoginStateStore: Sendable {
    /// A state whose seal checked out and that had not expired when it was verified.
    public struct Verified: Sendable, Equatable {
        let hash: Data
        let expiresAt: Double
        /// The allow-listed client URL the state was issued for, if any.
        public let redirectURI: String?
        /// The digest of the pre-auth cookie the state was issued with (``BrowserBinding``).
        let bindingDigest: Data
    }

    let clock: any WallClock
    let lifetimeSeconds: Double
    private let seal: LoginStateSeal

    /// `keys`: the current encryption key first, then older ones (states in flight survive a
    /// rotation); `clientRedirectURIs`: the allow-list a state names its redirect from.
    public init(clock: any WallClock, lifetimeSeconds: Double, keys: [EncryptionKey], clientRedirectURIs: [String] = [])
    {
        self.clock = clock
        self.lifetimeSeconds = lifetimeSeconds
        self.seal = LoginStateSeal(keys: keys, redirectURIs: clientRedirectURIs)
    }

    /// Issues a new state bound to the pre-auth cookie `cookieValue` (``BrowserBinding``), without
    /// a write; `nil` when `redirectURI` is not allow-listed.
    public func issue(redirectURI: String?, boundTo cookieValue: String) -> String? {
        let expiresAt = (clock.now().timeIntervalSince1970 + lifetimeSeconds) * 1000
        return seal.seal(
            .init(
                expiresAtMilliseconds: UInt64(max(0, expiresAt.rounded(.down))), redirectURI: redirectURI,
                bindingDigest: BrowserBinding.digest(of: cookieValue)))
    }

    /// The flow a state names, which names its pre-auth cookie; read without checking the seal.
    public static func flowID(of state: String) -> String? {
        LoginStateSeal.flowID(of: state)
    }

    /// The state if it is authentic and unexpired, checked without the database.
    public func verify(_ state: String) -> Verified? {
        guard SecretToken.isPlausible(state) else { return nil }
        let now = UInt64(max(0, (clock.now().timeIntervalSince1970 * 1000).rounded(.down)))
        guard let contents = seal.open(state, nowMilliseconds: now) else { return nil }
        return Verified(
            hash: SecretToken.hash(state), expiresAt: Double(contents.expiresAtMilliseconds) / 1000,
            redirectURI: contents.redirectURI, bindingDigest: contents.bindingDigest)
    }

    static let usedStateMarginSeconds = 600.0
}

/// One-time exchange codes: what the browser flow hands the user, traded for a session.
public struct ExchangeCodeStore: Sendable {
    let clock: any WallClock
    let lifetimeSeconds: Double

    public init(clock: any WallClock, lifetimeSeconds: Double) {
        self.clock = clock
        self.lifetimeSeconds = lifetimeSeconds
    }
}
