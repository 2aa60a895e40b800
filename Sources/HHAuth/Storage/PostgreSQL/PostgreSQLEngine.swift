import Foundation
import Logging
import PostgreSQL

/// The PostgreSQL engine: each worker thread's own connection (``PostgreSQLThreadConnections``)
/// for its transactions and its prepared hot reads, the stores' SQL in PostgreSQL's dialect
/// (`Storage/PostgreSQL/*`), and the schema migrated at start under an advisory lock
/// (``PostgreSQLMigrator``). Several processes, on several machines, may share one database.
///
/// Reads run as one `REPEATABLE READ` transaction (one snapshot, as the protocol promises);
/// writes as `READ COMMITTED`, where the statements that decide races are single statements
/// that PostgreSQL re-checks after waiting for a concurrent writer (an exchange code's
/// `DELETE … RETURNING`, the lease's `UPDATE … WHERE`), and the audit chain is serialized on its
/// head row. PostgreSQL's errors come out as ``StorageFailure``s, counted like SQLite's.
public final class PostgreSQLEngine: StorageEngine {
    let connections: PostgreSQLThreadConnections
    let stores: StoreSet
    private let errors: DatabaseErrorMetrics?
    public let sessionReads: any SessionReadPath
    /// The rate counts, admin lockout and janitor's lead, on connections of their own.
    public let sharedState: SharedNodeState?
    /// What the session lookups remember, and the feed of changes that keeps it true; nil without.
    let sessionCache: SessionReadCache?
    let sessionChangeFeed: PostgreSQLSessionChangeFeed?

    /// Connects to `connectionString` (a `postgresql://` URL or a libpq conninfo) and migrates the
    /// database; throws ``StorageError/newerSchema`` for a database a newer hh-auth wrote, a
    /// ``StorageFailure`` when the server cannot be reached. `errors` counts what fails later.
    /// `defaults`: the timeouts and keepalives of the workers' connections (``PGConnectionDefaults/engine``);
    /// `dedicatedDefaults`: those of the shared state's connections (``PGConnectionDefaults/dedicated``).
    /// `sessionCache`: remember the session lookups (``SessionReadCache``), with a feed of changes
    /// of its own (one more connection); nil: every lookup asks the database.
    public init(
        connectionString: String, stores: StoreSet, errors: DatabaseErrorMetrics? = nil,
        defaults: PGConnectionDefaults = .engine, dedicatedDefaults: PGConnectionDefaults = .dedicated,
        sessionCache settings: SessionCacheSettings? = nil, logger: Logger? = nil
    ) throws {
        let parsed: PGConnectionString
        do {
            parsed = try PGConnectionString(connectionString)
            let migration = try PGConnection(parsed, defaults: .migration)
            defer { migration.close() }
            if let leftOff = try PostgreSQLMigrator.migrate(migration) {
                (logger ?? settings?.logger)?.warning("\(leftOff)")
            }
        } catch let error as PGError {
            throw StorageFailure(error)
        }
        let connections = PostgreSQLThreadConnections(parsed, defaults: defaults)
        self.connections = connections
        self.stores = stores
        self.errors = errors
        let cache = settings.map { SessionReadCache(staleness: $0.staleness, lookups: $0.metrics?.lookups) }
        if let cache { settings?.metrics?.watch(cache) }
        self.sessionCache = cache
        self.sessionReads = PostgreSQLSessionReadPath(connections: connections, errors: errors, cache: cache)
        if let cache, let settings {
            let feed = PostgreSQLSessionChangeFeed(
                parsed, cache: cache, defaults: dedicatedDefaults, logger: settings.logger)
            feed.start()
            self.sessionChangeFeed = feed
        } else {
            self.sessionChangeFeed = nil
        }
        self.sharedState = SharedNodeState(
            windowCounts: PostgreSQLWindowCounts(parsed, defaults: dedicatedDefaults),
            failedLogins: { limits in PostgreSQLFailedLogins(parsed, limits: limits, defaults: dedicatedDefaults) },
            janitorLeadership: { wake in PostgreSQLJanitorLock(parsed, wake: wake, defaults: dedicatedDefaults) })
    }

    public func read<T>(_ body: (any StoreReads) throws -> T) throws -> T {
        try run(isolation: .repeatableRead) { connection, _ in
            try body(PostgreSQLReadTransaction(connection: connection, stores: stores))
        }
    }

    deinit {
        sessionChangeFeed?.stop()
    }

    public func write<T>(_ body: (any StoreWrites) throws -> T) throws -> T {
        // What this node wrote, its next lookup reads: the cache forgets everything once the
        // write is over (committed, rolled back or of unknown outcome), before the request that
        // wrote answers. The other nodes read the change from the triggers' rows.
        defer { sessionCache?.forgetAll() }
        return try run(isolation: nil) { connection, afterCommit in
            let transaction = PostgreSQLWriteTransaction(
                connection: connection, stores: stores, afterCommit: afterCommit)
            let value = try body(transaction)
            // The chain's head is locked last, just before COMMIT (see PostgreSQLAuditAppends).
            try transaction.appends.flush()
            // Delivered at COMMIT, and only then: the janitor leader, on whichever node, wakes.
            if afterCommit.wakesJanitor { try connection.execute("NOTIFY \(PostgreSQLJanitorLock.channel)") }
            return value
        }
    }

    /// `body` in one transaction on the calling thread's connection; what it registered in
    /// ``AfterCommit`` runs once the transaction committed. A connection found broken when the
    /// transaction began (a server restarted since the thread's last call) is reconnected and
    /// the transaction tried once more; once `body` ran, nothing is retried: a `COMMIT` that
    /// broke off has an unknown outcome.
    private func run<T>(
        isolation: PGIsolationLevel?, _ body: (PGConnection, AfterCommit) throws -> T
    ) throws -> T {
        do {
            var connection = try connections.connection()
            for attempt in 0..<2 {
                let afterCommit = AfterCommit()
                var began = false
                do {
                    let value = try connection.transaction(isolation: isolation) { tx in
                        began = true
                        return try body(tx, afterCommit)
                    }
                    afterCommit.run()
                    return value
                } catch let error as PGError where error.kind == .connectionLost && !began && attempt == 0 {
                    connection = try connections.reconnected()
                }
            }
            preconditionFailure("the second attempt returns or throws")
        } catch let error as PGError {
            throw failure(error)
        }
    }

    /// The PostgreSQL error as the engine's ``StorageFailure``, counted.
    func failure(_ error: PGError) -> StorageFailure {
        let failure = StorageFailure(error)
        errors?.count(failure)
        return failure
    }
}

/// What a write transaction does once it has committed (the revocation queue wakes the janitor),
/// never when it rolled back.
final class AfterCommit {
    private var actions: [() -> Void] = []

    /// Whether the transaction queued a pair for revocation: the queue's wake-up is the only
    /// action registered here, so the engine notifies the other nodes' janitors too.
    var wakesJanitor: Bool { !actions.isEmpty }

    func add(_ action: @escaping () -> Void) { actions.append(action) }

    func run() {
        for action in actions { action() }
        actions = []
    }
}
