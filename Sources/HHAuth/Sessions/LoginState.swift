import Foundation
import GRDB

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

    /// Whether the state was used already: lets a replay be refused on a read, without the write lock.
    public func isUsed(_ state: Verified, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM oauth_states WHERE state_hash = ?", arguments: [state.hash]) ?? false
    }

    /// Marks the state used; `false` when another callback used it first.
    public func consume(_ state: Verified, in db: Database) throws -> Bool {
        try db.execute(
            sql: "INSERT INTO oauth_states (state_hash, expires_at) VALUES (?, ?) ON CONFLICT (state_hash) DO NOTHING",
            arguments: [state.hash, state.expiresAt])
        return db.changesCount == 1
    }

    /// Used states are remembered ``usedStateMarginSeconds`` past their expiry: if the clock steps
    /// back (NTP) after a row is gone, the state would verify again and a captured callback URL
    /// could be replayed.
    public func deleteExpired(in db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM oauth_states WHERE expires_at <= ?",
            arguments: [clock.now().timeIntervalSince1970 - Self.usedStateMarginSeconds])
        return db.changesCount
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

    public func issue(userID: Int64, in db: Database) throws -> String {
        let code = SecretToken.generate(byteCount: 32)
        try db.execute(
            sql: "INSERT INTO exchange_codes (code_hash, user_id, expires_at) VALUES (?, ?, ?)",
            arguments: [SecretToken.hash(code), userID, clock.now().timeIntervalSince1970 + lifetimeSeconds])
        return code
    }

    /// Consumes a code; returns its user id, or `nil` when unknown, used or expired.
    public func consume(_ code: String, in db: Database) throws -> Int64? {
        guard SecretToken.isPlausible(code) else { return nil }
        let hash = SecretToken.hash(code)
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT user_id, expires_at FROM exchange_codes WHERE code_hash = ?", arguments: [hash])
        else { return nil }
        try db.execute(sql: "DELETE FROM exchange_codes WHERE code_hash = ?", arguments: [hash])
        let expiresAt: Double = row["expires_at"]
        guard expiresAt > clock.now().timeIntervalSince1970 else { return nil }
        return row["user_id"]
    }

    /// Whether the user has an exchange code that can still be used.
    public func hasLive(userID: Int64, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM exchange_codes WHERE user_id = ? AND expires_at > ?)",
            arguments: [userID, clock.now().timeIntervalSince1970]) ?? false
    }

    /// Voids every unused code of the user.
    public func deleteAll(userID: Int64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM exchange_codes WHERE user_id = ?", arguments: [userID])
    }

    public func deleteExpired(in db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM exchange_codes WHERE expires_at <= ?", arguments: [clock.now().timeIntervalSince1970])
        return db.changesCount
    }
}
