import Foundation
import GRDB

/// OAuth `state` values: random, one-time, short-lived, stored hashed. The only CSRF defence HH
/// offers, so a state is consumed (deleted) by the first callback that presents it.
public struct LoginStateStore: Sendable {
    let clock: any WallClock
    let lifetimeSeconds: Double

    public init(clock: any WallClock, lifetimeSeconds: Double) {
        self.clock = clock
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// Issues a new state; `redirectURI` is the allow-listed client URL to return to, if any.
    public func issue(redirectURI: String?, in db: Database) throws -> String {
        let state = SecretToken.generate(byteCount: 32)
        try db.execute(
            sql: "INSERT INTO oauth_states (state_hash, redirect_uri, expires_at) VALUES (?, ?, ?)",
            arguments: [SecretToken.hash(state), redirectURI, clock.now().timeIntervalSince1970 + lifetimeSeconds])
        return state
    }

    /// Whether a state is stored (used or not, expired or not): lets a callback with a forged or
    /// stale state be refused on a read, without taking the write lock.
    public func isStored(_ state: String, in db: Database) throws -> Bool {
        guard SecretToken.isPlausible(state) else { return false }
        let hash = SecretToken.hash(state)
        return try Bool.fetchOne(db, sql: "SELECT 1 FROM oauth_states WHERE state_hash = ?", arguments: [hash]) ?? false
    }

    /// Consumes a state. Returns `nil` when it is unknown, used or expired; otherwise the client
    /// redirect it was issued with (`.some(nil)` when none).
    public func consume(_ state: String, in db: Database) throws -> String?? {
        guard SecretToken.isPlausible(state) else { return nil }
        let hash = SecretToken.hash(state)
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT redirect_uri, expires_at FROM oauth_states WHERE state_hash = ?", arguments: [hash])
        else { return nil }
        try db.execute(sql: "DELETE FROM oauth_states WHERE state_hash = ?", arguments: [hash])
        let expiresAt: Double = row["expires_at"]
        guard expiresAt > clock.now().timeIntervalSince1970 else { return nil }
        let redirect: String? = row["redirect_uri"]
        return .some(redirect)
    }

    public func deleteExpired(in db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM oauth_states WHERE expires_at <= ?", arguments: [clock.now().timeIntervalSince1970])
        return db.changesCount
    }
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

    public func deleteExpired(in db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM exchange_codes WHERE expires_at <= ?", arguments: [clock.now().timeIntervalSince1970])
        return db.changesCount
    }
}
