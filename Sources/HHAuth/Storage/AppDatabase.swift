import Foundation
import GRDB
import GRDBSQLite
import WorkerThreads

/// The one owner of the SQLite file: a GRDB `DatabasePool` in WAL mode with `synchronous=FULL`,
/// so a write that returned has reached the disk before any response that depends on it is sent.
///
/// The pool stays inside: stores and use cases go through ``read(_:)`` and ``write(_:)``, so every
/// write is a slow wait the FastCGI server knows of, and another storage engine could stand here.
public struct AppDatabase: Sendable {
    private let writer: DatabasePool
    private let readers: ThreadReaders
    /// Counts the SQLite errors of ``read(_:)``, ``write(_:)`` and the thread connection's reads,
    /// which all come out as ``StorageFailure``s.
    private let errors: DatabaseErrorMetrics?

    /// Opens and migrates the database. With `mustExist`, only a file that `serve` or `migrate`
    /// made is opened (else ``StorageError/missing`` or ``StorageError/notHHAuth``); without it, a
    /// missing file is created. A file written by a newer hh-auth is refused rather than
    /// half-understood. `errors` counts what fails afterwards (the service's `/metrics`).
    public init(
        path: String, busyTimeoutSeconds: Double = defaultBusyTimeoutSeconds, mustExist: Bool = false,
        errors: DatabaseErrorMetrics? = nil
    ) throws {
        try self.init(
            path: path, busyWait: SQLiteBusyWait(seconds: busyTimeoutSeconds), mustExist: mustExist, errors: errors)
    }

    /// `busyWait`: how the writer waits for another connection's lock (tests give it a clock).
    init(path: String, busyWait: SQLiteBusyWait, mustExist: Bool = false, errors: DatabaseErrorMetrics? = nil) throws {
        let busyTimeoutSeconds =
            Double(busyWait.timeout.components.seconds)
            + Double(busyWait.timeout.components.attoseconds) / 1e18
        if mustExist { try Self.requireHHAuthFile(at: path) }
        var configuration = GRDB.Configuration()
        configuration.busyMode = busyWait.mode
        configuration.foreignKeysEnabled = true
        // Every ``read(_:)`` goes through the calling thread's own read-only connection
        // (``ThreadReaders``), never through the pool. The pool's readers serve only the
        // migrator's version check here and `backup` (``copy(into:)``), one at a time; GRDB opens
        // them on demand and keeps them, so the cap bounds their page caches.
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrate(pool)
        self.writer = pool
        self.readers = ThreadReaders(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
        self.errors = errors
    }

    /// How long a write waits for another connection's write lock before SQLITE_BUSY (a 503).
    public static let defaultBusyTimeoutSeconds = 5.0

    /// A read transaction on the calling thread's own read-only connection: what the request path
    /// uses (see ``ThreadReaders``). It sees every committed write. Writes, and reads that must be
    /// in the same transaction as a write, go through ``write(_:)``.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try readers.withConnection { connection in try connection.read(body) }
        } catch let error as DatabaseError {
            throw failure(error)
        }
    }

    /// A write through the pool's single writer. Other threads' writes queue ahead of it, and with
    /// `synchronous=FULL` each commit waits for the disk, so it counts as a slow wait for the
    /// FastCGI server (``BlockingCall``): a standby worker keeps serving reads meanwhile.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try BlockingCall.run { try writer.write(body) }
        } catch let error as DatabaseError {
            throw failure(error)
        }
    }

    /// The database file.
    public var path: String { writer.path }

    /// Copies the whole database into `copy` with SQLite's online backup; writers may go on
    /// meanwhile (see ``backup(to:)``).
    func copy(into copy: DatabaseQueue) throws {
        try writer.backup(to: copy)
    }

    /// The calling thread's own read-only connection, for the hottest reads: prepared statements
    /// without GRDB's per-read bookkeeping (see ``ThreadConnection``, ``SessionLookup``).
    func withThreadConnection<T>(_ body: (ThreadConnection) throws -> T) throws -> T {
        do {
            return try readers.withConnection(body)
        } catch let error as DatabaseError {
            throw failure(error)
        }
    }

    /// The SQLite error as the engine's ``StorageFailure``, counted.
    private func failure(_ error: DatabaseError) -> StorageFailure {
        let failure = StorageFailure(error)
        errors?.count(failure)
        return failure
    }

    static func migrate(_ writer: DatabasePool) throws {
        let migrator = Migrations.migrator
        let superseded = try writer.read { db in try migrator.hasBeenSuperseded(db) }
        if superseded { throw StorageError.newerSchema }
        try migrator.migrate(writer)
    }

    /// Refuses a path that is not an existing hh-auth database, before SQLite could create one there
    /// or a pool could switch someone else's file to WAL.
    static func requireHHAuthFile(at path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw errno == ENOENT || errno == ENOTDIR ? StorageError.missing : .unreadable
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw StorageError.notHHAuth }
        guard let file = FileHandle(forReadingAtPath: path) else { throw StorageError.unreadable }
        defer { try? file.close() }
        let header = (try? file.read(upToCount: 16)) ?? Data()
        guard header == Data("SQLite format 3\u{0}".utf8) else { throw StorageError.notHHAuth }
        let probe = try DatabaseQueue(path: path)
        guard try probe.read({ db in try db.tableExists("grdb_migrations") }) else { throw StorageError.notHHAuth }
    }

    /// What SQLite holds in memory in this process, page caches above all (`/metrics`).
    public static var sqliteHeapBytes: Int64 { sqlite3_memory_used() }

    /// Whether the database answers a read; `/health` reports it.
    public func isReadable() -> Bool {
        (try? read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }
}

/// Failures of the storage layer that callers may want to tell apart.
public struct StorageError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Kind: Sendable { case newerSchema, missing, notHHAuth, unreadable }
    private let kind: Kind
    public static let newerSchema = StorageError(kind: .newerSchema)
    /// There is no database file at the path (and the caller may not create one).
    public static let missing = StorageError(kind: .missing)
    /// The path holds something other than an hh-auth database.
    public static let notHHAuth = StorageError(kind: .notHHAuth)
    /// The file exists but cannot be read.
    public static let unreadable = StorageError(kind: .unreadable)
    public var description: String {
        switch kind {
        case .newerSchema: "the database was written by a newer version of hh-auth; refusing to use it"
        case .missing: "no database there"
        case .notHHAuth: "not an hh-auth database"
        case .unreadable: "the database file cannot be read"
        }
    }
}
