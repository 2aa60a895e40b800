import Foundation
import PostgreSQL

/// What ``PostgreSQLSessionChangeFeed`` remembers between its reads of `session_changes`: where
/// the next read starts (the last read's `xmin`), the rows already handled at or above it, and
/// when the last read returned.
struct ChangeReader {
    /// One read: the users to forget (nil: everyone), in the order written, and whether every
    /// change trigger is in place.
    struct Read {
        var changes: [Int64?]
        var triggersInPlace: Bool
    }

    private var from: UInt64?
    private var handled: [Int64: UInt64] = [:]
    private var lastSuccess: (at: ContinuousClock.Instant, wall: Date)?

    /// Reads the rows of every transaction from the last read's `xmin` on (none on the first
    /// read: a reader starts with the cache empty), the new `xmin`, and the triggers' count.
    mutating func read(on connection: PGConnection) throws -> Read {
        let rows = try connection.execute(Self.statement, [from.map { .text(String($0)) } ?? .null])
        guard let first = rows.first, let xmin = UInt64(try first.text(0)) else {
            throw PGError(.invalidValue, "the change read returned no snapshot")
        }
        var changes: [Int64?] = []
        for row in rows where try !row.isNull(2) {
            let id = try row.integer(2)
            guard handled[id] == nil else { continue }
            guard let tx = UInt64(try row.text(3)) else { throw PGError(.invalidValue, "a change row's tx") }
            handled[id] = tx
            changes.append(try row.int64(4))
        }
        from = xmin
        handled = handled.filter { $0.value >= xmin }
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
        SELECT s.xmin::text, s.triggers, c.id, c.tx::text, c.user_id
        FROM (
            SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin,
                (SELECT count(*) FROM pg_trigger t
                 WHERE t.tgrelid IN ('sessions'::regclass, 'users'::regclass, 'hh_tokens'::regclass,
                                     'allowed_users'::regclass)
                   AND t.tgname IN (\(PostgreSQLSchema.sessionChangeTriggers.map { "'\($0.name)'" }.joined(separator: ", ")))
                   AND t.tgenabled = 'A') AS triggers
        ) s
        LEFT JOIN session_changes c ON $1::xid8 IS NOT NULL AND c.tx >= $1::xid8
        ORDER BY c.id
        """
}
