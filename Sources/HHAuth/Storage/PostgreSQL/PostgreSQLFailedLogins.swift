import Foundation
import PostgreSQL
import WorkerThreads

/// The admin throttle's state in tables every node shares (docs/scale-out.md, "Admin lockout
/// shared"): `admin_failures` (one row per failure; the account's are all of them, a /64's the
/// ones not cleared by the right password since), `admin_blocks` (the guard units' last failure
/// and checks under way), `admin_trusted_addresses` (the last `maxTrustedAddresses`) and
/// `admin_check_bucket` (the guarded checks' token bucket, one row). Each throttle step is one
/// transaction under a transaction-level advisory lock, so the throttles of all nodes take turns
/// as the threads of one did under its lock; admin requests are few, and a failure is one insert.
///
/// A check under way counts for `checkHoldSeconds` at most: a node that died between admitting
/// and settling must not keep its block refused.
///
/// No caller waits longer than `waitSeconds` for its turn, on this node (the connection is one
/// caller's at a time) or on the server (`lock_timeout` on the advisory lock and the tables):
/// past it the step fails (``LocalTurnTimeout`` on this node, `busy` on the server) and the
/// admin is answered 503, so a stuck ledger (a holder cut off mid-transaction, a server out of
/// reach) never parks every worker thread. Nor do many requests at once (a flood of garbage Basic
/// credentials while the ledger is slow): at most `maxSteps` steps of this node hold or wait for
/// the turn; one more is refused at once (``LocalTurnCrowded``), answered 503 as a busy ledger is,
/// and never let through unchecked.
final class PostgreSQLFailedLogins: FailedLoginStore {
    /// The advisory lock's first key ("hh-l" in ASCII), apart from the migrations' and the
    /// janitor's; the second is a hash of the schema's name, as theirs: deployments (or tests) in
    /// schemas of one database each have a throttle of their own.
    static let lockKey: Int32 = 0x68_68_2D_6C
    static let checkHoldSeconds = 30.0
    /// Steps of this node that may hold or wait for the turn at once, unless the limits say
    /// (``FailedLoginThrottle/Limits/concurrentSteps``, half of `WORKER_THREADS`): every admin
    /// request takes one (the check bucket), and the node's one throttle connection serves them in
    /// turn, so an admin's script with 8 calls at once (`make bench`'s seeding) queues 8; a flood
    /// of garbage credentials while the ledger is stuck parks at most half the workers (for up to
    /// the wait). (4 answered the bench's 8 parallel `allow`s 503.)
    static let defaultMaxSteps = FailedLoginThrottle.Limits.defaultConcurrentSteps

    private let connection: PostgreSQLDedicatedConnection
    private let limits: FailedLoginThrottle.Limits
    private let waitSeconds: Double
    /// Whose turn it is on this node; waited on with a deadline (the connection's own lock is
    /// then never contended).
    private let turn = NSLock()
    private let maxSteps: Int
    /// Steps holding or waiting for the turn now.
    private let steps = Lock(0)

    init(
        _ connectionString: PGConnectionString, limits: FailedLoginThrottle.Limits, waitSeconds: Double = 1,
        maxSteps: Int? = nil, defaults: PGConnectionDefaults = .dedicated
    ) {
        connection = PostgreSQLDedicatedConnection(connectionString, defaults: defaults)
        self.limits = limits
        self.waitSeconds = waitSeconds
        self.maxSteps = max(1, maxSteps ?? limits.concurrentSteps)
    }

    /// How many steps hold or wait for the turn now (tests).
    var stepsUnderWay: Int { steps.withLock { $0 } }

    func withLedger<T>(_ body: (any FailedLoginLedger) throws -> T) throws -> T {
        // A seat or nothing, without waiting: past `maxSteps` a step would only park one more
        // worker thread behind the others.
        let seated = steps.withLock { count in
            guard count < maxSteps else { return false }
            count += 1
            return true
        }
        guard seated else { throw LocalTurnCrowded(duty: "the admin throttle", waiting: maxSteps) }
        defer { steps.withLock { $0 -= 1 } }
        return try takingTurn(body)
    }

    private func takingTurn<T>(_ body: (any FailedLoginLedger) throws -> T) throws -> T {
        // A slow wait: the worker's running seat goes to another meanwhile. Not the database's
        // doing either (another thread of this node has the turn), so not counted as its error.
        let deadline = Date(timeIntervalSinceNow: waitSeconds)
        guard BlockingCall.run({ turn.lock(before: deadline) }) else {
            throw LocalTurnTimeout(duty: "the admin throttle", seconds: waitSeconds)
        }
        defer { turn.unlock() }
        return try connection.use { connection in
            try connection.transaction { tx in
                try tx.execute("SET LOCAL lock_timeout = \(Int(waitSeconds * 1000))")
                try tx.execute(
                    "SELECT pg_advisory_xact_lock($1::integer, hashtext(current_schema()))",
                    [.int64(Int64(Self.lockKey))])
                return try body(Ledger(connection: tx, limits: limits))
            }
        }
    }

    private struct Ledger: FailedLoginLedger {
        let connection: PGConnection
        let limits: FailedLoginThrottle.Limits

        // Newest by the time a failure happened, not by when it was written: a failure this node
        // could not record at once (``UnrecordedFailures``) is written later with its own time.
        func failures(address key: String) throws -> [Double] {
            let newestFirst = try connection.execute(
                """
                SELECT failed_at FROM admin_failures WHERE address_key = $1 AND NOT cleared
                ORDER BY failed_at DESC, id DESC LIMIT $2
                """, [.text(key), .int64(Int64(limits.maxFailures))]
            ).map { try $0.double(0) ?? 0 }
            return newestFirst.reversed()
        }

        func oldestAccountFailure() throws -> Double? {
            let row = try connection.execute(
                """
                SELECT count(*), min(failed_at) FROM
                    (SELECT failed_at FROM admin_failures ORDER BY failed_at DESC, id DESC LIMIT $1) AS latest
                """, [.int64(Int64(limits.maxFailuresAllAddresses))]
            ).first
            guard let row, try row.int64(0) == Int64(limits.maxFailuresAllAddresses) else { return nil }
            return try row.double(1)
        }

        func block(_ key: String, now: Double) throws -> FailedLoginBlock? {
            guard
                let row = try connection.execute(
                    """
                    SELECT last_failure, CASE WHEN checking_until > $2 THEN checking ELSE 0 END
                    FROM admin_blocks WHERE block_key = $1
                    """, [.text(key), .double(now)]
                ).first
            else { return nil }
            return FailedLoginBlock(lastFailure: try row.double(0), checking: Int(try row.int64(1) ?? 0))
        }

        func isTrusted(_ block: String) throws -> Bool {
            try !connection.execute("SELECT 1 FROM admin_trusted_addresses WHERE block_key = $1", [.text(block)])
                .isEmpty
        }

        func takeCheck(now: Double) throws -> Double? {
            let row = try connection.execute("SELECT tokens, refilled_at FROM admin_check_bucket WHERE id = 1").first
            var bucket = VerificationBucket(
                perSecond: limits.guardedChecksPerSecond, burst: limits.guardedChecksPerSecond.rounded(.up),
                tokens: try row?.double(0), updated: try row?.double(1))
            let wait = bucket.take(now: now)
            let saved = bucket.saved
            try connection.execute(
                """
                INSERT INTO admin_check_bucket (id, tokens, refilled_at) VALUES (1, $1, $2)
                ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at
                """, [.double(saved.tokens), PGParameter(saved.updated)])
            return wait
        }

        func save(_ block: FailedLoginBlock?, for key: String, now: Double) throws {
            guard let block else {
                try connection.execute("DELETE FROM admin_blocks WHERE block_key = $1", [.text(key)])
                return
            }
            try connection.execute(
                """
                INSERT INTO admin_blocks (block_key, last_failure, checking, checking_until) VALUES ($1, $2, $3, $4)
                ON CONFLICT (block_key) DO UPDATE SET last_failure = excluded.last_failure,
                    checking = excluded.checking, checking_until = excluded.checking_until
                """,
                [
                    .text(key), PGParameter(block.lastFailure), .int64(Int64(block.checking)),
                    .double(block.checking > 0 ? now + PostgreSQLFailedLogins.checkHoldSeconds : 0),
                ])
        }

        func addFailure(address key: String, now: Double) throws {
            try connection.execute(
                "INSERT INTO admin_failures (address_key, failed_at) VALUES ($1, $2)", [.text(key), .double(now)])
            // What no rule reads any more: failures past the window, blocks past their pause with
            // no check under way. Failures are rare (bounded by the caps and, guarded, the bucket).
            try connection.execute(
                "DELETE FROM admin_failures WHERE failed_at <= $1", [.double(now - limits.windowSeconds)])
            try connection.execute(
                """
                DELETE FROM admin_blocks
                WHERE coalesce(last_failure, 0) <= $1 AND (checking = 0 OR checking_until <= $2)
                """, [.double(now - limits.guardedRetrySeconds), .double(now)])
        }

        func clearFailures(address key: String) throws {
            try connection.execute(
                "UPDATE admin_failures SET cleared = true WHERE address_key = $1 AND NOT cleared", [.text(key)])
        }

        func trust(_ block: String, now: Double) throws {
            try connection.execute(
                """
                INSERT INTO admin_trusted_addresses (block_key, verified_at) VALUES ($1, $2)
                ON CONFLICT (block_key) DO UPDATE SET verified_at = excluded.verified_at
                """, [.text(block), .double(now)])
            try connection.execute(
                """
                DELETE FROM admin_trusted_addresses WHERE block_key NOT IN
                    (SELECT block_key FROM admin_trusted_addresses ORDER BY verified_at DESC LIMIT $1)
                """, [.int64(Int64(limits.maxTrustedAddresses))])
        }
    }
}
