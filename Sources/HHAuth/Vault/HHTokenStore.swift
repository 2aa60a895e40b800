import Foundation
import GRDB

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

    public init(vault: TokenVault, clock: any WallClock) {
        self.vault = vault
        self.clock = clock
    }

    public func save(userID: Int64, accessToken: String, refreshToken: String, expiresAt: Date, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO hh_tokens (user_id, key_id, access_token, refresh_token, expires_at, version, updated_at)
                VALUES (?, ?, ?, ?, ?, 1, ?)
                ON CONFLICT(user_id) DO UPDATE SET key_id = excluded.key_id, access_token = excluded.access_token,
                    refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
                    version = version + 1, lease_owner = NULL, lease_until = NULL, updated_at = excluded.updated_at
                """,
            arguments: [
                userID, vault.currentKey.id, try vault.seal(accessToken, userID: userID, field: "access"),
                try vault.seal(refreshToken, userID: userID, field: "refresh"), expiresAt.timeIntervalSince1970,
                clock.now().timeIntervalSince1970,
            ])
    }

    public func load(userID: Int64, in db: Database) throws -> HHTokenRecord? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM hh_tokens WHERE user_id = ?"), arguments: [userID])
        else {
            return nil
        }
        let keyID: String = row["key_id"]
        return HHTokenRecord(
            userID: userID,
            accessToken: try vault.open(row["access_token"], keyID: keyID, userID: userID, field: "access"),
            refreshToken: try vault.open(row["refresh_token"], keyID: keyID, userID: userID, field: "refresh"),
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            version: row["version"])
    }

    /// The access token of a row ``SessionLookup`` read, decrypted; the refresh token stays sealed.
    public func openAccess(_ sealed: SessionLookup.SealedToken, userID: Int64) throws -> AccessGrant {
        AccessGrant(
            accessToken: try vault.open(sealed.accessToken, keyID: sealed.keyID, userID: userID, field: "access"),
            expiresAt: sealed.expiresAt)
    }

    public func delete(userID: Int64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM hh_tokens WHERE user_id = ?", arguments: [userID])
    }

    /// Takes the refresh lease for this version of the token: compare-and-swap on `version` with an
    /// expiring lease, so a second process (or a crashed holder) cannot refresh twice.
    public func acquireLease(userID: Int64, version: Int64, owner: String, seconds: Double, in db: Database) throws -> Bool {
        let now = clock.now().timeIntervalSince1970
        try db.execute(
            sql: """
                UPDATE hh_tokens SET lease_owner = ?, lease_until = ?
                WHERE user_id = ? AND version = ? AND (lease_until IS NULL OR lease_until < ?)
                """,
            arguments: [owner, now + seconds, userID, version, now])
        return db.changesCount == 1
    }

    public func releaseLease(userID: Int64, owner: String, in db: Database) throws {
        try db.execute(
            sql: "UPDATE hh_tokens SET lease_owner = NULL, lease_until = NULL WHERE user_id = ? AND lease_owner = ?",
            arguments: [userID, owner])
    }

    /// Ids of keys that stored tokens are sealed under, to refuse starting with the wrong key.
    public func keyIDsInUse(in db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM hh_tokens")
    }
}
