import Foundation

/// HH pairs waiting to be revoked at HH (`hh_revocations`), sealed like `hh_tokens`.
///
/// Every path that lets go of a pair (logout, admin end, whitelist removal, a login replacing it,
/// expired sessions, a refresh whose sessions ended meanwhile) moves it here in the same
/// transaction, and the janitor's thread revokes it, retrying with backoff until HH confirms. So a
/// revoke survives a slow or failing HH and a crash, and never holds a request's worker.
public struct RevocationQueue: Sendable {
    let vault: TokenVault
    let clock: any WallClock
    /// Woken after a commit that queued something, so the janitor revokes at once.
    let wake: WakeSignal

    /// One queued pair, decrypted, and how often revoking it failed.
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var record: HHTokenRecord
        public var attempts: Int
    }

    /// Longest pause between two tries of one pair.
    static let maximumBackoffSeconds = 3600.0
}
