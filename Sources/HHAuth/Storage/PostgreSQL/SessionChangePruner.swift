import Foundation
import PostgreSQL

/// Deletes the rows of `session_changes` (``PostgreSQLSchema/v3``) that every node's feed has
/// read: those of transactions a snapshot taken at least ``age`` ago (by the monotonic and the
/// wall clock) saw as ended. A feed reads every quarter of `SESSION_CACHE_MS`, at most 2.5 s
/// apart, and one whose reads were 10 s apart (``PostgreSQLSessionChangeFeed/maxGap``) forgets
/// everything instead of reading on, so a minute is far past any feed that still trusts its
/// memory. A transaction still open then keeps its rows, however long it stays open. Run by the
/// janitor's leader on each pass (``PostgreSQLJanitorLock``), whatever `SESSION_CACHE_MS` says:
/// the triggers write the rows either way.
struct SessionChangePruner {
    let age: Duration
    /// Rows per `DELETE` (by primary key: an index scan, ~35 ms for 10,000), and the time a pass
    /// may spend deleting: each statement well inside the dedicated connection's response
    /// deadline, the rest left for the next pass.
    let batch = 10_000
    let budget: Duration = .seconds(2)
    /// Passes closer together than this (the janitor's wake-ups) prune nothing.
    let spacing: Duration
    /// Snapshots taken on the passes, oldest first, in `pg_snapshot`'s text form.
    private var samples: [(at: ContinuousClock.Instant, wall: Date, snapshot: String)] = []

    init(age: Duration = .seconds(60), spacing: Duration = .seconds(30)) {
        self.age = age
        self.spacing = spacing
    }

    /// Deletes by the newest snapshot old enough (if any), then takes this pass's. Also proves
    /// the connection answers.
    mutating func pass(on connection: PGConnection) throws {
        let now = ContinuousClock.now
        let wall = Date()
        if let newest = samples.last, now - newest.at < spacing { return }
        let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
        if let safe = samples.last(where: { now - $0.at >= age && wall.timeIntervalSince($0.wall) >= seconds }) {
            while ContinuousClock.now - now < budget {
                let deleted = try connection.execute(
                    """
                    DELETE FROM session_changes WHERE id = ANY (ARRAY(
                        SELECT id FROM session_changes
                        WHERE tx < pg_snapshot_xmax($1::pg_snapshot) AND pg_visible_in_snapshot(tx, $1::pg_snapshot)
                        LIMIT \(batch)))
                    """, [.text(safe.snapshot)])
                if deleted.affectedRows < batch { break }
            }
            samples.removeAll { $0.at < safe.at }
        }
        let read = try connection.execute("SELECT pg_current_snapshot()::text")
        guard let snapshot = try read.first?.string(0) else { throw PGError(.invalidValue, "no snapshot") }
        // Timed once the snapshot is surely taken: its age is never overstated.
        samples.append((ContinuousClock.now, Date(), snapshot))
    }

    /// Drops the snapshots taken so far (a new lead, a failed pass).
    mutating func forgetSamples() {
        samples = []
    }
}
