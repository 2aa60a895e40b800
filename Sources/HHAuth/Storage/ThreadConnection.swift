import GRDB
import GRDBSQLite

/// The one SQLite connection a worker thread reads with, opened read-only
/// (`SQLITE_OPEN_READONLY`, GRDB's `readonly`) on the thread's first read: a write through it
/// fails with `SQLITE_READONLY`.
///
/// Two ways to read on it. ``read(_:)`` is GRDB's read transaction, for reads of several
/// statements that must see one snapshot (admin listings, the token lease). ``statement(_:)`` is
/// a raw prepared statement on the same connection, for the single-statement reads of every
/// session call (``SessionLookup``), where GRDB's per-call bookkeeping cost more than the read.
/// Measured 2026-12-01 (`bench/readpath/run.sh`: callgrind, release, 100,000 lookups of random
/// sessions among 3,000; table in BENCHMARKS.md, "Read path (issue 10)"): a prepared statement here
/// costs ~17,000 instructions per lookup (token 16,939, user 17,484); GRDB on a read-only
/// `DatabaseQueue` with `unsafeRead` + `cachedStatement` + a `Row` cursor ~36,000 (+108 %; a
/// cursor `Row` builds a column-name dictionary per row), without the `Row` ~27,500 (+60 %),
/// GRDB's `read` (BEGIN/COMMIT around it) ~68,000.
final class ThreadConnection {
    private let queue: DatabaseQueue
    private let handle: OpaquePointer
    private var statements: [String: PreparedStatement] = [:]

    init(path: String, busyTimeoutSeconds: Double) throws {
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        configuration.busyMode = SQLiteBusyWait(seconds: busyTimeoutSeconds).mode
        configuration.label = "hh-auth.thread-reader"
        configuration.prepareDatabase { db in
            // A small page cache: there is one of these per worker thread.
            try db.execute(sql: "PRAGMA cache_size = -512")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        guard let handle = queue.unsafeRead({ db in db.sqliteConnection }) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the thread's connection is closed")
        }
        self.handle = handle
    }

    deinit {
        // Finalized before the queue (released after this body) closes the connection.
        statements.removeAll()
    }

    /// A read transaction: every statement in `body` sees the same snapshot.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.read(body)
    }

    /// The statement for `sql`, prepared on first use. Only ever used on the owning thread, like
    /// the connection, so it needs no hop onto GRDB's queue.
    func statement(_ sql: String) throws -> PreparedStatement {
        if let statement = statements[sql] { return statement }
        let statement = try PreparedStatement(sql: sql, connection: handle)
        statements[sql] = statement
        return statement
    }
}
