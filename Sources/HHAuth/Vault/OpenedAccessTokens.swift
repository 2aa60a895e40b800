import Foundation
import WorkerThreads

/// Access tokens already decrypted, by exactly the stored bytes they were decrypted from.
///
/// `POST /auth/token` opens the same stored token on every call until it is refreshed, and
/// AES-GCM through swift-crypto sets the key up on each call: with the context and the sealed
/// box, 17,700 instructions, 14 % of the route (callgrind, BENCHMARKS.md "Issue 15"). An entry is
/// keyed by everything ``TokenVault/open(_:keyID:userID:field:)`` reads (user, key id,
/// ciphertext), so a refreshed, re-keyed or tampered row has other bytes and misses: nothing ever
/// needs invalidating, and a ciphertext copied into another user's row still fails to open.
///
/// What it keeps in memory, the process could already decrypt at any time: it holds
/// `ENCRYPTION_KEY`. Bounded: a shard that fills is emptied.
final class OpenedAccessTokens: Sendable {
    struct Key: Hashable, Sendable {
        let userID: Int64
        let keyID: String
        let ciphertext: Data
    }

    static let shardCount = 16
    static let entriesPerShard = 256
    private let shards = (0..<OpenedAccessTokens.shardCount).map { _ in Lock<[Key: String]>([:]) }

    private func shard(_ key: Key) -> Lock<[Key: String]> {
        shards[Int(truncatingIfNeeded: key.userID & Int64(Self.shardCount - 1))]
    }

    func token(for key: Key) -> String? {
        shard(key).withLock { $0[key] }
    }

    func remember(_ token: String, for key: Key) {
        shard(key).withLock { entries in
            if entries.count >= Self.entriesPerShard { entries.removeAll(keepingCapacity: true) }
            entries[key] = token
        }
    }

    /// Entries held, for tests.
    var count: Int { shards.reduce(0) { total, shard in total + shard.withLock { $0.count } } }
}
