import Foundation
import PostgreSQL

/// Deletes the rows of `session_changes` (``PostgreSQLSchema/v3``) that every node's feed has
/// read: those of transactions that had ended before a snapshot taken at least ``age`` ago (by
/// the monotonic and the wall clock), that is, below that snapshot's `xmin`. A feed reads every
/// quarter of `SESSION_CACHE_MS` at most 2.5 s apart, and one whose reads were 10 s apart
/// (``PostgreSQLSessionChangeFeed/maxGap``) forgets everything instead of reading on, so a minute
/// is far past any feed that still trusts its memory. Run by the janitor's leader on each pass
/// (``PostgreSQLJanitorLock``), whatever `SESSION_CACHE_MS` says: the triggers write the rows
/// either way.
struct SessionChangePruner {
    let age: Duration
    init(age: Duration = .seconds(60)) {
        self.age = age
    }
    /// `xmin`s taken on the passes, oldest first.
    private var samples: [(at: ContinuousClock.Instant, wall: Date, xmin: UInt64)] = []

    /// Takes this pass's `xmin` and deletes below the newest one old enough (if any). Also proves
    /// the connection answers.
    mutating func pass(on connection: PGConnection) throws {
        let now = ContinuousClock.now
        let wall = Date()
        let seconds = Double(age.components.seconds)
        if let safe = samples.last(where: { now - $0.at >= age && wall.timeIntervalSince($0.wall) >= seconds }) {
            try connection.execute("DELETE FROM session_changes WHERE tx < $1::xid8", [.text(String(safe.xmin))])
            samples.removeAll { $0.at < safe.at }
        }
        let read = try connection.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
        guard let xmin = try read.first?.string(0).flatMap(UInt64.init) else {
            throw PGError(.invalidValue, "no snapshot xmin")
        }
        samples.append((now, wall, xmin))
    }
}
