import Foundation
import Synchronization
import WorkerThreads

/// Rotated pairs that HH has issued and the database has not taken yet (it was locked, full or
/// failing when they arrived). They are kept here, handed out to the user's callers, and saved as
/// soon as a write goes through: losing one would end every session of the user, because HH
/// never accepts the spent refresh token again.
final class UnsavedTokenPairs: Sendable {
    struct Kept: Sendable, Equatable {
        var pair: RotatedTokenPair
        /// Until then callers are handed the pair without another write attempt: with the
        /// database failing, each attempt would hold a worker for the busy timeout.
        var retryAfter: Date
    }

    private let kept = Lock<[Int64: Kept]>([:])
    /// Lets the hot path of `/auth/token` skip the lock while nothing is unsaved, which is always
    /// but for a database outage.
    private let count = Atomic<Int>(0)

    func entry(userID: Int64) -> Kept? {
        if count.load(ordering: .relaxed) == 0 { return nil }
        return kept.withLock { $0[userID] }
    }

    /// `pauseSeconds`: how long requests are handed the pair before one tries to save it again.
    func keep(_ pair: RotatedTokenPair, pauseSeconds: Double) {
        kept.withLock { kept in
            kept[pair.userID] = Kept(pair: pair, retryAfter: Date().addingTimeInterval(pauseSeconds))
            count.store(kept.count, ordering: .relaxed)
        }
    }

    /// Forgets `pair` once it was saved or refused; a newer pair kept meanwhile stays.
    func forget(_ pair: RotatedTokenPair) {
        kept.withLock { kept in
            if kept[pair.userID]?.pair == pair { kept[pair.userID] = nil }
            count.store(kept.count, ordering: .relaxed)
        }
    }

    var pairs: [RotatedTokenPair] { kept.withLock { $0.values.map(\.pair) } }
}
