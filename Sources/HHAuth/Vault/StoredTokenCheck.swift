import Foundation

/// Whether a ``TokenVault`` opens what the database holds: for every key the stored pairs
/// (`hh_tokens`, and the pairs queued for revocation) are sealed under, how many there are, and
/// whether one of them really opens. `serve` refuses to start over a key it does not have
/// (``DomainServices/checkKeys()``); this says which and how many, for `hh-auth doctor`, on either
/// engine (`keysInUse(in:)` of a ``DatabaseInspection`` or a ``PostgreSQLInspection``).
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
    /// `reads` is one snapshot; one pair per known key is decrypted.
    func keysInUse(from reads: some StoredPairReads) throws -> [KeyUse] {
        let uses = try reads.pairCounts().map { keyID, pairs in
            let isKnown = vault.knows(keyID: keyID)
            return KeyUse(
                keyID: keyID, pairs: pairs, isKnown: isKnown, isCurrent: keyID == vault.currentKey.id,
                opens: isKnown ? try opensOnePair(keyID: keyID, from: reads) : false)
        }
        return uses.sorted { ($0.isCurrent ? 0 : 1, $0.keyID) < ($1.isCurrent ? 0 : 1, $1.keyID) }
    }

    /// Decrypts both tokens of one pair sealed under `keyID`, stored or queued.
    private func opensOnePair(keyID: String, from reads: some StoredPairReads) throws -> Bool {
        guard let pair = try reads.onePair(sealedUnder: keyID) else { return false }
        return vault.openPair(
            access: pair.accessToken, refresh: pair.refreshToken, keyID: keyID, userID: pair.userID) != nil
    }
}
