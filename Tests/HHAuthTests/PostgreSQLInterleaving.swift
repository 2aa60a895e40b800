import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

#if canImport(Glibc)
    import Glibc
#endif

/// Forces an order on transactions that run on separate connections, without timing: a trigger
/// the test installs in its schema waits on an advisory lock the test holds (``pause(after:on:when:)``,
/// ``hold()``, ``release()``), and the test waits until a given number of the engine's
/// connections wait on a lock (``waitUntil(blocked:or:)``) before it goes on.
///
/// Its tests use a database of their own (``database``) and run one at a time, so the backends
/// that wait on a lock there are theirs.
final class PostgreSQLInterleaving: Sendable {
    static let database = "hh_auth_interleaving"
    let schema: TestSchema
    /// The test's own connection: holds the advisory lock and watches the others.
    private let admin: PGConnection
    /// The advisory lock's key, per test.
    let key = Int64.random(in: 1...Int64(Int32.max))

    init() throws {
        schema = try TestSchema(database: Self.database)
        admin = try schema.connect()
    }

    deinit { admin.close() }

    /// A trigger `AFTER <event> ON <table>` (a row trigger) that waits for ``release()`` while the
    /// test holds the lock, for rows matching `condition` (SQL over `NEW`/`OLD`).
    func pause(after event: String, on table: String, when condition: String = "true") throws {
        let name = "pause_\(table)_\(event.lowercased())"
        try admin.executeScript(
            """
            CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock_shared(\(key));
                RETURN NULL;
            END;
            $$;
            CREATE TRIGGER \(name) AFTER \(event) ON \(table) FOR EACH ROW WHEN (\(condition))
                EXECUTE FUNCTION \(name)();
            """)
    }

    func hold() throws { try admin.execute("SELECT pg_advisory_lock($1)", [.int64(key)]) }

    func release() throws { try admin.execute("SELECT pg_advisory_unlock($1)", [.int64(key)]) }

    /// How many other connections to the database wait on a lock (a row, the advisory lock).
    func blockedCount() throws -> Int {
        Int(
            try admin.execute(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
                """
            ).first?.int64(0) ?? 0)
    }

    /// Waits (30 s at most) until `count` connections wait on a lock, or `done` holds; false past
    /// the deadline.
    @discardableResult
    func waitUntil(blocked count: Int, or done: () -> Bool = { false }) throws -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if done() { return true }
            if try blockedCount() >= count { return true }
            usleep(2_000)
        }
        return false
    }
}

/// Something a thread of the test's does, and its outcome once it is done.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let outcome = Locked<Result<Value, any Error>?>(nil)

    init(_ body: @escaping @Sendable () throws -> Value) {
        Thread { [self] in
            let result = Result { try body() }
            outcome.withLock { $0 = result }
            finished.signal()
        }.start()
    }

    var isDone: Bool { outcome.withLock { $0 != nil } }

    /// Whether it finished within `seconds`.
    func finishes(withinSeconds seconds: Double) -> Bool {
        guard finished.wait(timeout: .now() + seconds) == .success else { return false }
        finished.signal()
        return true
    }

    /// The outcome, waiting for it (30 s at most).
    func result() throws -> Value {
        guard finished.wait(timeout: .now() + 30) == .success else { throw Unfinished() }
        finished.signal()
        return try outcome.withLock { $0! }.get()
    }

    struct Unfinished: Error {}
}
