import Foundation
import Logging
import PostgreSQL

/// Keeps a node's ``SessionReadCache`` true to a database other writers share: a thread with a
/// connection of its own reads, every ``interval``, the rows the v3 triggers left in
/// `session_changes` (``PostgreSQLSchema/v3``) since its last read, forgets what they name, and
/// tells the cache when the read was sent (``SessionReadCache/synced(sentAt:)``).
///
/// Why a read proves what it claims: its snapshot, taken after it was sent, sees every
/// transaction committed before. It asks for the rows of the transactions the previous read's
/// snapshot did not see as ended (``SessionChangeReader``: at or above its `xmax`, or in its
/// in-progress list): any other had ended before the previous read, which saw its rows. So once a
/// read returned, every change committed before it was sent has been forgotten, and each row is
/// fetched once however long another transaction on the server stays open.
///
/// The read also counts the triggers that are there and fire `ALWAYS`: one missing or disabled
/// (`DISABLE TRIGGER`, a restore with `--disable-triggers`) turns the cache off, logged, until
/// all are back. Any failure (the connection broke or went silent; a read more than
/// ``maxGap`` after the last, by the monotonic or the wall clock: a stopped process, a paused VM,
/// after which rows may have been pruned) empties the cache and turns it off
/// (``SessionReadCache/lost()``) until a read returns again. The reads are read-only: no
/// transaction id, no WAL, no lock a writer waits for.
///
/// The janitor's leader prunes the rows (``SessionChangePruner``), a minute after they were
/// certainly read: every feed that reads at all has read them by then, or has found its gap and
/// forgotten everything.
final class PostgreSQLSessionChangeFeed: @unchecked Sendable {
    let cache: SessionReadCache
    let interval: Duration
    /// A read this long after the last means the feed may have missed pruned rows
    /// (``SessionChangePruner/age`` is far longer).
    let maxGap: Duration = .seconds(10)
    private let connection: PostgreSQLDedicatedConnection
    private let logger: Logger?
    private let stopping = WakeSignal()
    private let state = NSLock()
    private var stopped = false
    /// The server process of the feed's connection (tests end it). Under `state`.
    private var serverProcess: Int32?

    init(
        _ connectionString: PGConnectionString, cache: SessionReadCache, defaults: PGConnectionDefaults,
        logger: Logger? = nil
    ) {
        self.connection = PostgreSQLDedicatedConnection(connectionString, defaults: defaults)
        self.cache = cache
        // Four reads per staleness bound, so that one slow round trip does not close the cache.
        self.interval = max(cache.staleness / 4, .milliseconds(5))
        self.logger = logger
    }

    /// Starts the reading thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "session-changes"
        thread.start()
    }

    /// Ends the reading thread within about one ``interval``; the cache is off from now on.
    func stop() {
        state.withLock { stopped = true }
        cache.lost()
        stopping.signal()
    }

    /// The process id of the feed's server connection, while it has one (tests).
    var connectionProcessID: Int32? { state.withLock { serverProcess } }

    private var isStopped: Bool { state.withLock { stopped } }

    private func run() {
        var reader = ChangeReader()
        var failure: String?
        while !isStopped {
            let sentAt = ContinuousClock.now
            let sentAtWall = Date()
            do {
                let read = try connection.use { connection in
                    if state.withLock({ serverProcess }) == nil {
                        let process = try connection.execute("SELECT pg_backend_pid()").first?.int64(0)
                        state.withLock { serverProcess = process.map { Int32(truncatingIfNeeded: $0) } }
                    }
                    return try reader.read(on: connection)
                }
                if let gap = reader.gap(sentAt: sentAt, wall: sentAtWall), gap > maxGap {
                    throw ChangeFeedGap(seconds: Self.seconds(gap))
                }
                guard read.triggersInPlace else {
                    throw ChangeFeedTriggersMissing(expected: PostgreSQLSchema.sessionChangeTriggers.count)
                }
                for change in read.changes {
                    if let userID = change { cache.forget(userID: userID) } else { cache.forgetAll() }
                }
                reader.succeeded(sentAt: sentAt, wall: sentAtWall)
                cache.synced(sentAt: sentAt, wall: sentAtWall)
                if failure != nil {
                    logger?.notice("session cache: reading changes again; lookups answer from memory again")
                    failure = nil
                }
            } catch {
                cache.lost()
                reader = ChangeReader()
                let description = Self.describe(error)
                if error is PGError || error is StorageFailure {
                    connection.disconnect()
                    state.withLock { serverProcess = nil }
                }
                if failure != description && !isStopped {
                    logger?.warning(
                        "session cache off: \(description); every session lookup asks the database until it is back")
                }
                failure = description
                _ = stopping.wait(until: Date(timeIntervalSinceNow: connection.reconnectPauseSeconds))
                continue
            }
            // By the monotonic clock: a wall clock stepped back would stall the feed that long.
            let left = interval - (ContinuousClock.now - sentAt)
            _ = stopping.wait(until: Date(timeIntervalSinceNow: max(0, Self.seconds(left))))
        }
        cache.lost()
        connection.close()
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PGError where error.kind == .readOnly: error.message
        case let error as PGError: "it lost the database (\(error.message))"
        case let error as ChangeFeedGap: "its last read of changes was \(Int(error.seconds)) s ago"
        case let error as ChangeFeedTriggersMissing:
            "not all \(error.expected) session change triggers are in place and enabled ALWAYS (run `hh-auth migrate`, or ALTER TABLE … ENABLE ALWAYS TRIGGER …)"
        default: "\(error)"
        }
    }
}

/// The feed's last read was too long ago (``PostgreSQLSessionChangeFeed/maxGap``).
struct ChangeFeedGap: Error {
    let seconds: Double
}

/// A change trigger is missing or not enabled `ALWAYS`.
struct ChangeFeedTriggersMissing: Error {
    let expected: Int
}
