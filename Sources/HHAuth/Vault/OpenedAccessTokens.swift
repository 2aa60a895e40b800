import Foundation
import WorkerThreads

/// Each user's access token as last decrypted, with the exact stored bytes it came from, for a
/// minute at most.
///
/// `POST /auth/token` opens the same stored token on every call until it is refreshed, and
/// AES-GCM through swift-crypto sets the key up on each call: with the context and the sealed
/// box, 17,700 instructions, 14 % of the route (callgrind, BENCHMARKS.md "Issue 15").
///
/// - A hit needs everything ``TokenVault/open(_:keyID:userID:field:)`` reads to be the same (user,
///   key id, ciphertext; the field is always the access token), so a refreshed, re-keyed or
///   tampered row misses, and a ciphertext copied into another user's row still fails to open.
///   The session is checked before this is asked (``SessionLookup/token(sessionID:)``).
/// - One entry per user: a refresh replaces it.
/// - An entry is served for ``lifetimeSeconds`` from its decryption. Expired entries are dropped
///   whenever a token is remembered in their shard and by the janitor's pass (``sweep(now:)``), so
///   a plaintext token stays in memory at most a minute plus one janitor interval after it was
///   last opened, also when its user logged out and never came back; at most ``capacity``
///   entries (an arbitrary one makes room).
final class OpenedAccessTokens: Sendable {
    struct Entry: Sendable {
        let keyID: String
        let ciphertext: Data
        let token: String
        let openedAt: Double
    }

    static let shardCount = 16
    static let capacity = 4096
    static let lifetimeSeconds = 60.0
    private let shards = (0..<OpenedAccessTokens.shardCount).map { _ in Lock<[Int64: Entry]>([:]) }

    private func shard(_ userID: Int64) -> Lock<[Int64: Entry]> {
        shards[Int(truncatingIfNeeded: userID & Int64(Self.shardCount - 1))]
    }

    /// The token opened from exactly these bytes less than a minute before `now`.
    func token(userID: Int64, keyID: String, ciphertext: Data, now: Double) -> String? {
        shard(userID).withLock { entries in
            guard let entry = entries[userID] else { return nil }
            guard now - entry.openedAt < Self.lifetimeSeconds, now >= entry.openedAt else {
                entries[userID] = nil
                return nil
            }
            return entry.keyID == keyID && entry.ciphertext == ciphertext ? entry.token : nil
        }
    }

    func remember(_ token: String, userID: Int64, keyID: String, ciphertext: Data, now: Double) {
        shard(userID).withLock { entries in
            Self.dropExpired(&entries, now: now)
            if entries[userID] == nil, entries.count >= Self.capacity / Self.shardCount {
                entries.remove(at: entries.startIndex)
            }
            entries[userID] = Entry(keyID: keyID, ciphertext: ciphertext, token: token, openedAt: now)
        }
    }

    /// Drops every expired entry; the janitor calls it on each pass.
    func sweep(now: Double) {
        for shard in shards { shard.withLock { Self.dropExpired(&$0, now: now) } }
    }

    private static func dropExpired(_ entries: inout [Int64: Entry], now: Double) {
        entries = entries.filter { now - $0.value.openedAt < lifetimeSeconds && now >= $0.value.openedAt }
    }

    /// Entries held, for tests.
    var count: Int { shards.reduce(0) { total, shard in total + shard.withLock { $0.count } } }
}
