import FastCGI
import Foundation
import GRDB
import GRDBSQLite

/// The one owner of the SQLite file: a GRDB `DatabasePool` in WAL mode with `synchronous=FULL`,
/// so a write that returned has reached the disk before any response that depends on it is sent.
public struct AppDatabase: Sendable {
    public let writer: DatabasePool
    private let readers: ThreadReaders

    /// Opens (creating if needed) and migrates the database.
    /// A file written by a newer hh-auth is refused rather than half-understood.
    public init(path: String, busyTimeoutSeconds: Double = 5) throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.foreignKeysEnabled = true
        // One reader per worker thread (WORKER_THREADS defaults to 32): a worker never waits for a connection.
        configuration.maximumReaderCount = 32
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrate(pool)
        self.writer = pool
        self.readers = ThreadReaders(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
    }

    /// A read on the calling thread's own connection: what the request path uses (see
    /// ``ThreadReaders``). Writes, and reads that must see a write of the same thread in the
    /// same call, go through ``writer``.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try readers.read(body)
    }

    /// A write through the pool's single writer. Other threads' writes queue ahead of it, and with
    /// `synchronous=FULL` each commit waits for the disk, so it counts as a slow wait for the
    /// FastCGI server (``BlockingCall``): a standby worker keeps serving reads meanwhile.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try BlockingCall.run { try writer.write(body) }
    }

    /// The calling thread's own raw connection, for the hottest reads (see ``SessionLookup``).
    func withThreadConnection<T>(_ body: (ThreadConnection) throws -> T) throws -> T {
        try readers.withConnection(body)
    }

    static func migrate(_ writer: DatabasePool) throws {
        let migrator = Migrations.migrator
        let superseded = try writer.read { db in try migrator.hasBeenSuperseded(db) }
        if superseded { throw StorageError.newerSchema }
        try migrator.migrate(writer)
    }

    /// What SQLite holds in memory in this process, page caches above all (`/metrics`).
    public static var sqliteHeapBytes: Int64 { sqlite3_memory_used() }

    /// Whether the database answers a read; `/health` reports it.
    public func isReadable() -> Bool {
        (try? read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }
}

/// Failures of the storage layer that callers may want to tell apart.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    private enum Kind: Sendable { case newerSchema }
    private let kind: Kind
    public static let newerSchema = StorageError(kind: .newerSchema)
    public var description: String {
        switch kind {
        case .newerSchema: "the database was written by a newer version of hh-auth; refusing to use it"
        }
    }
}
