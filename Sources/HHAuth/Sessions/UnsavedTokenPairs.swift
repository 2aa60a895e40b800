import FastCGI
import Synchronization

/// Rotated pairs that HH has issued and the database has not taken yet (it was locked, full or
/// failing when they arrived). They are kept here, handed out to the user's callers, and saved as
/// soon as a write goes through: losing one would end every session of the user, because HH
/// never accepts the spent refresh token again.
final class UnsavedTokenPairs: Sendable {
    private let pairs = Lock<[Int64: RotatedTokenPair]>([:])
    /// Lets the hot path of `/auth/token` skip the lock while nothing is unsaved, which is always
    /// but for a database outage.
    private let count = Atomic<Int>(0)

    var isEmpty: Bool { count.load(ordering: .relaxed) == 0 }

    func pair(userID: Int64) -> RotatedTokenPair? {
        if isEmpty { return nil }
        return pairs.withLock { $0[userID] }
    }

    func keep(_ pair: RotatedTokenPair) {
        pairs.withLock { pairs in
            pairs[pair.userID] = pair
            count.store(pairs.count, ordering: .relaxed)
        }
    }

    /// Forgets `pair` once it was saved or refused; a newer pair kept meanwhile stays.
    func forget(_ pair: RotatedTokenPair) {
        pairs.withLock { pairs in
            if pairs[pair.userID] == pair { pairs[pair.userID] = nil }
            count.store(pairs.count, ordering: .relaxed)
        }
    }

    var all: [RotatedTokenPair] { pairs.withLock { Array($0.values) } }
}
