import Foundation
import PostgreSQL

/// What ``PostgreSQLSessionChangeFeed`` remembers between its reads of `session_changes`: the
/// last read's snapshot, and when that read returned.
///
/// A read asks for the rows of the transactions the last snapshot did not see as ended: those at
/// or above its `xmax`, and those it listed as in progress (`xip`). Any other transaction had
/// ended before the last read, which saw its rows. So each row is read once, however long another
/// transaction on the server stays open (reading from the last `xmin` on instead would read every
/// row written since that transaction began, on every read, as long as it stays open).
struct ChangeReader {
    /// One read: the users to forget (nil: everyone), in the order written, and whether every
    /// change trigger is in place.
    struct Read {
        var changes: [Int64?]
        var triggersInPlace: Bool
    }

    /// The last read's snapshot, in `pg_snapshot`'s text form.
    private var snapshot: String?
    private var lastSuccess: (at: ContinuousClock.Instant, wall: Date)?

    /// Reads the rows the last snapshot did not see (none on the first read: a reader starts with
    /// the cache empty), the new snapshot, and the triggers' count. Throws on a standby: its data
    /// lags the primary the workers write to.
    mutating func read(on connection: PGConnection) throws -> Read {
        let rows = try connection.execute(Self.statement, [snapshot.map { .text($0) } ?? .null])
        guard let first = rows.first, let taken = try first.string(0) else {
            throw PGError(.invalidValue, "the change read returned no snapshot")
        }
        guard try first.bool(2) == false else {
            throw PGError(.readOnly, "the feed's server is a standby (in recovery), not the primary")
        }
        var changes: [Int64?] = []
        for row in rows where try !row.isNull(3) {
            changes.append(try row.int64(4))
        }
        snapshot = taken
        return Read(
            changes: changes, triggersInPlace: try first.integer(1) == PostgreSQLSchema.sessionChangeTriggers.count)
    }

    /// How long since the last read returned, the longer by the monotonic or the wall clock (a
    /// paused VM's monotonic clock may stand still); nil before the first.
    func gap(sentAt: ContinuousClock.Instant, wall: Date) -> Duration? {
        guard let lastSuccess else { return nil }
        let wallGap = Duration.milliseconds(Int64(max(0, wall.timeIntervalSince(lastSuccess.wall)) * 1000))
        return max(sentAt - lastSuccess.at, wallGap)
    }

    mutating func succeeded(sentAt: ContinuousClock.Instant, wall: Date) {
        lastSuccess = (sentAt, wall)
    }

    private static let statement = """
        SELECT s.snapshot::text, s.triggers, s.standby, c.id, c.user_id
        FROM (
            SELECT pg_current_snapshot() AS snapshot, pg_is_in_recovery() AS standby,
                (SELECT count(*) FROM pg_trigger t
                 WHERE t.tgrelid IN ('sessions'::regclass, 'users'::regclass, 'hh_tokens'::regclass,
                                     'allowed_users'::regclass)
                   AND t.tgname IN (\(PostgreSQLSchema.sessionChangeTriggers.map { "'\($0.name)'" }.joined(separator: ", ")))
                   AND t.tgenabled = 'A') AS triggers
        ) s
        LEFT JOIN (
            -- Two index scans: an OR of both, when most rows share one tx (the janitor's bulk
            -- delete), was planned as a scan of the whole table.
            SELECT id, user_id FROM session_changes
            WHERE $1::pg_snapshot IS NOT NULL AND tx >= pg_snapshot_xmax($1::pg_snapshot)
            UNION ALL
            SELECT id, user_id FROM session_changes
            WHERE $1::pg_snapshot IS NOT NULL AND tx < pg_snapshot_xmax($1::pg_snapshot)
              AND tx = ANY (ARRAY(SELECT pg_snapshot_xip($1::pg_snapshot)))
        ) c ON true
        ORDER BY c.id
        """
}
