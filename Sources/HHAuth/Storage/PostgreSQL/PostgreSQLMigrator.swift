import Foundation
import PostgreSQL

/// Brings a PostgreSQL database to this binary's schema (``PostgreSQLSchema``), as `serve` and
/// `migrate` do at start: under a session-level advisory lock, so that of several nodes starting
/// at once one migrates and the others wait and find nothing left to do. A database that records
/// a migration this binary does not know was written by a newer hh-auth and is refused
/// (``StorageError/newerSchema``) rather than half-understood; each missing migration applies in
/// a transaction of its own, with its row in `hh_auth_migrations`.
///
/// Nothing waits without limit: the advisory lock is tried until `lockWaitSeconds` have passed
/// (a node that hangs mid-migration, or a session someone left holding the key, makes the
/// others fail with ``Timeout`` instead of hanging their start), and the DDL runs under
/// `lock_timeout` (5 s unless the connection string says otherwise: a long transaction of
/// another application on a table the migration alters), tried `ddlAttempts` times.
enum PostgreSQLMigrator {
    /// The advisory lock's first key: any fixed number, the same in every node ("hh-a" in
    /// ASCII); the second is a hash of the schema's name, as for the janitor's lock: two
    /// deployments (or tests) in schemas of one database migrate independently.
    static let lockKey: Int32 = 0x68_68_2D_61

    /// A migration that could not take its locks in time; says which and what to look at.
    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    /// A connection whose `search_path` names no schema that exists: nowhere to migrate to.
    struct NoSchema: Error, CustomStringConvertible {
        let description: String
    }

    /// Migrates through `connection`, which it leaves open and idle.
    /// `lockTimeout`: the DDL's `lock_timeout` where the connection sets none.
    /// Returns the session change triggers it found not `ALWAYS` and could not set so (nil: all are).
    @discardableResult
    static func migrate(
        _ connection: PGConnection, lockWaitSeconds: Double = 60, lockTimeout: String = "5s", ddlAttempts: Int = 3
    ) throws -> SessionChangeTriggersLeftOff? {
        // No schema to migrate into (a search_path naming none that exists) leaves the lock's
        // second key NULL, and pg_try_advisory_lock answers NULL, never true: said at once,
        // instead of as a lock held by someone for the whole wait.
        guard try connection.execute("SELECT current_schema()").first?.string(0) != nil else {
            throw NoSchema(
                description: "the connection's search_path names no schema that exists (current_schema() is "
                    + "NULL): create the schema, or set search_path (options=-csearch_path=...) to one that exists")
        }
        try lock(connection, waitingUpTo: lockWaitSeconds)
        defer {
            _ = try? connection.execute(
                "SELECT pg_advisory_unlock($1::integer, hashtext(current_schema()))", [.int64(Int64(lockKey))])
        }
        // The engine's connection sets lock_timeout already; one without (migrate-data's) gets it
        // for the migration only.
        let unbounded = try connection.execute("SHOW lock_timeout").first?.string(0) == "0"
        if unbounded { try connection.execute("SELECT set_config('lock_timeout', $1, false)", [.text(lockTimeout)]) }
        defer { if unbounded { _ = try? connection.execute("SET lock_timeout = 0") } }
        var attempt = 1
        while true {
            do {
                return try apply(connection)
            } catch let error as PGError where error.sqlState == "55P03" {
                guard attempt < max(1, ddlAttempts) else {
                    throw Timeout(
                        description: "the migration waited \(attempt) times for a table lock that another "
                            + "session holds (see pg_locks / pg_stat_activity); nothing was changed by the failed step")
                }
                attempt += 1
            }
        }
    }

    /// Takes the migration's advisory lock, trying until `seconds` have passed.
    private static func lock(_ connection: PGConnection, waitingUpTo seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let taken = try connection.execute(
                "SELECT pg_try_advisory_lock($1::integer, hashtext(current_schema()))", [.int64(Int64(lockKey))])
            if try taken.first?.bool(0) == true { return }
            guard Date() < deadline else {
                throw Timeout(
                    description: "another session has held the migration lock for more than \(Int(seconds)) s "
                        + "(a node still migrating, or stuck: see pg_locks where locktype = 'advisory')")
            }
            // A poll of the lock: the holder, a node migrating, needs a moment (its DDL).
            usleep(100_000)
        }
    }

    private static func apply(_ connection: PGConnection) throws -> SessionChangeTriggersLeftOff? {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS hh_auth_migrations (
                identifier text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let applied = try appliedIdentifiers(connection)
        let known = PostgreSQLSchema.identifiers
        guard applied.allSatisfy(known.contains) else { throw StorageError.newerSchema }
        for migration in PostgreSQLSchema.migrations where !applied.contains(migration.identifier) {
            try connection.transaction { tx in
                try tx.executeScript(migration.sql)
                try tx.execute("INSERT INTO hh_auth_migrations (identifier) VALUES ($1)", [.text(migration.identifier)])
            }
        }
        return try enableSessionChangeTriggers(connection)
    }

    /// Puts each session change trigger (``PostgreSQLSchema/sessionChangeTriggers``) back as v3
    /// made it: creates one that is missing (a partial restore, a `DROP TRIGGER`) and sets one that
    /// is not `ALWAYS` back to it (a restore with `--disable-triggers` ends with `ENABLE TRIGGER
    /// ALL`, which leaves them `ORIGIN`); the nodes' session caches stay off until all are there
    /// and `ALWAYS` (``PostgreSQLSessionChangeFeed``). Takes no lock when all are so. Otherwise one
    /// transaction does it, waiting at most half a second for each table's lock (it conflicts with
    /// every writer); one that cannot (a busy table, a role that does not own them) leaves them as
    /// they are and the start goes on: the caches stay off, which is safe, and the feed says why in
    /// the log; the caller gets which and why, to say so (`hh-auth migrate` would otherwise report
    /// success to an operator who ran it to set them).
    private static func enableSessionChangeTriggers(_ connection: PGConnection) throws
        -> SessionChangeTriggersLeftOff?
    {
        let names = PostgreSQLSchema.sessionChangeTriggers.map { "'\($0.name)'" }.joined(separator: ", ")
        let present = try connection.execute(
            """
            SELECT t.tgname, t.tgenabled = 'A' FROM pg_trigger t
            WHERE t.tgrelid IN ('sessions'::regclass, 'users'::regclass, 'hh_tokens'::regclass,
                                'allowed_users'::regclass)
              AND t.tgname IN (\(names)) AND NOT t.tgisinternal
            """
        ).map { (name: try $0.text(0), always: try $0.bool(1) == true) }
        let always = Set(present.filter(\.always).map(\.name))
        let existing = Set(present.map(\.name))
        let toFix = PostgreSQLSchema.sessionChangeTriggers.filter { !always.contains($0.name) }
        guard !toFix.isEmpty else { return nil }
        do {
            try connection.transaction { tx in
                try tx.execute("SET LOCAL lock_timeout = '500ms'")
                for trigger in toFix {
                    if existing.contains(trigger.name) {
                        try tx.execute("ALTER TABLE \(trigger.table) ENABLE ALWAYS TRIGGER \(trigger.name)")
                    } else {
                        try tx.executeScript(PostgreSQLSchema.createTrigger(trigger))
                    }
                }
            }
            return nil
        } catch {
            return SessionChangeTriggersLeftOff(
                names: toFix.map(\.name).sorted(),
                missing: toFix.map(\.name).filter { !existing.contains($0) }.sorted(),
                cause: (error as? PGError)?.message ?? "\(error)")
        }
    }

    /// The migrations the database records as applied.
    static func appliedIdentifiers(_ connection: PGConnection) throws -> [String] {
        try connection.execute("SELECT identifier FROM hh_auth_migrations ORDER BY applied_at, identifier").map {
            try $0.string(0) ?? ""
        }
    }
}
