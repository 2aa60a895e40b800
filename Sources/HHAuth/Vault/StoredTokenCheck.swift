import Foundation
import GRDB

/// Whether a ``TokenVault`` opens what the database holds: for every key the stored pairs
/// (`hh_tokens`, and the pairs queued for revocation) are sealed under, how many there are, and
/// whether one of them really opens. `serve` refuses to start over a key it does not have
/// (``DomainServices/checkKeys()``); this says which and how many, for `hh-auth doctor`.
public struct StoredTokenCheck: Sendable {
    /// The pairs sealed under one key.
    public struct KeyUse: Sendable, Equatable {
        /// The key's id (``EncryptionKey/id``), safe to show.
        public var keyID: String
        /// Pairs in `hh_tokens` and in the revocation queue together.
        public var pairs: Int
        /// Whether the vault has this key at all (current or old).
        public var isKnown: Bool
        /// Whether it is the vault's current key.
        public var isCurrent: Bool
        /// Whether one of its pairs decrypted, both tokens; `false` for a key the vault lacks.
        public var opens: Bool
    }

    private let vault: TokenVault

    public init(vault: TokenVault) {
        self.vault = vault
    }

    /// One entry per key in use, the current key first, then by id; empty when nothing is stored.
    /// Reads one snapshot; decrypts one pair per known key.
    public func keysInUse(in inspection: DatabaseInspection) throws -> [KeyUse] {
        try inspection.read { db in try keysInUse(in: db) }
    }

    func keysInUse(in db: Database) throws -> [KeyUse] {
        var counts: [String: Int] = [:]
        for table in ["hh_tokens", "hh_revocations"] {
            for row in try Row.fetchAll(db, sql: "SELECT key_id, count(*) AS pairs FROM \(table) GROUP BY key_id") {
                counts[row["key_id"], default: 0] += row["pairs"] as Int
            }
        }
        let uses = try counts.map { keyID, pairs in
            let isKnown = vault.knows(keyID: keyID)
            return KeyUse(
                keyID: keyID, pairs: pairs, isKnown: isKnown, isCurrent: keyID == vault.currentKey.id,
                opens: isKnown ? try opensOnePair(keyID: keyID, in: db) : false)
        }
        return uses.sorted { ($0.isCurrent ? 0 : 1, $0.keyID) < ($1.isCurrent ? 0 : 1, $1.keyID) }
    }

    /// Decrypts both tokens of one pair sealed under `keyID`, stored or queued.
    private func opensOnePair(keyID: String, in db: Database) throws -> Bool {
        for table in ["hh_tokens", "hh_revocations"] {
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT user_id, access_token, refresh_token FROM \(table) WHERE key_id = ? LIMIT 1",
                    arguments: [keyID])
            else { continue }
            let userID: Int64 = row["user_id"]
            do {
                _ = try vault.open(row["access_token"], keyID: keyID, userID: userID, field: "access")
                _ = try vault.open(row["refresh_token"], keyID: keyID, userID: userID, field: "refresh")
                return true
            } catch {
                return false
            }
        }
        return false
    }
}
