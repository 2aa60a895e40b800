import Foundation

/// A node's memory of the session routes' hot reads (``SessionReadPath``) on a database other
/// nodes write too, trusted for at most ``staleness`` after what the node last heard of their
/// writes.
///
/// Why it exists: on PostgreSQL each lookup is a round trip to another process, and on the
/// two-core bench machine the round trip (the server's work, and a sleep and a wake-up of the
/// worker) cost more than the rest of the request: `GET /users/me` at 35 % of the C ceiling with
/// every lookup asked of the server, where SQLite's in-process read answers at ~100 % (see
/// BENCHMARKS.md, "PostgreSQL session cache").
///
/// What keeps it honest (docs/scale-out.md):
/// - Every change to a session, its user, the user's HH token or a whitelist entry, by any node,
///   command or operator's SQL, leaves a row (triggers), and the node's feed
///   (``PostgreSQLSessionChangeFeed``) reads them every quarter of ``staleness`` and forgets what
///   they concern (``forget(userID:)``, ``forgetAll()``).
/// - A read that returned proves that every change committed before it was sent has been
///   forgotten (its snapshot sees them). An answer is given from memory only while the newest
///   such proof was sent at most ``staleness`` ago (``synced(sentAt:wall:)``), by the monotonic
///   and the wall clock: a feed that is slow, blocked or gone turns the memory off by itself, and
///   every lookup asks the database again.
/// - The node's own writes forget everything once they commit (``forgetAll()``), before the
///   request that wrote answers: what a client changed on one node, that node never serves stale.
/// - A read stores its answer only if nothing was forgotten since it began (``ticket()``): a
///   change that committed while the read was under way is never stored as current.
/// - A session's own expiry is checked against the lookup's time on every answer; no entry is
///   older than ``maxAge``; at ``maxEntries`` the memory starts over.
final class SessionReadCache: @unchecked Sendable {
    /// Which hot read an entry answers.
    enum Read: Hashable, Sendable {
        case token(programOnly: Bool)
        case user
        case identity
        /// The identity with the user's sealed token (`VERIFY_PASS_ACCESS_TOKEN`).
        case identityAndToken
    }

    /// A hot read's answer.
    enum Answer: Sendable {
        case token(userID: Int64, token: SessionLookup.SealedToken?)
        case user(User)
        case identity(SessionIdentity)
    }

    struct Key: Hashable, Sendable {
        let read: Read
        let idHash: Data
    }

    private struct Entry {
        let answer: Answer
        let sessionExpiresAt: Double
        let storedAt: ContinuousClock.Instant
        /// The ticket it was stored under: older than ``validFrom``, it was forgotten.
        let generation: UInt64
    }

    /// How old the newest proof of having heard every other writer may be for memory to answer.
    let staleness: Duration
    let maxEntries: Int
    let maxAge: Duration
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private var keysByUser: [Int64: Set<Key>] = [:]
    /// Counts what was forgotten; a read that began before a change stores nothing. Under `lock`.
    private var generation: UInt64 = 0
    /// Entries stored under an older generation were forgotten all at once (``forgetAll()``, which
    /// runs after every write of the node's: O(1), where emptying the table would cost a pass over
    /// up to ``maxEntries`` under the lock every lookup takes). Under `lock`.
    private var validFrom: UInt64 = 0
    /// When the newest read of changes that returned was sent, by the monotonic and the wall
    /// clock (a paused VM's monotonic clock stands still; its wall clock is set right on resume).
    /// Under `lock`.
    private var syncedAt: ContinuousClock.Instant?
    private var syncedAtWall: Date?

    private let stalenessSeconds: Double
    /// Counts what ``answer(_:now:)`` found (`hh_auth_session_cache_lookups_total`).
    private let lookups: SessionCacheMetrics.Lookups?

    init(
        staleness: Duration, maxEntries: Int = 50_000, maxAge: Duration = .seconds(30),
        lookups: SessionCacheMetrics.Lookups? = nil
    ) {
        self.staleness = staleness
        self.lookups = lookups
        self.stalenessSeconds =
            Double(staleness.components.seconds) + Double(staleness.components.attoseconds) / 1e18
        self.maxEntries = maxEntries
        self.maxAge = maxAge
    }

    /// The remembered answer for `key`, while memory may answer and the session is live at
    /// `now` (epoch seconds, the lookup's time); nil means: ask the database.
    func answer(_ key: Key, now: Double) -> Answer? {
        let answer = remembered(key, now: now)
        if let lookups { (answer == nil ? lookups.database : lookups.memory).increment() }
        return answer
    }

    private func remembered(_ key: Key, now: Double) -> Answer? {
        let instant = ContinuousClock.now
        lock.lock()
        defer { lock.unlock() }
        guard isFresh(at: instant), let entry = entries[key], entry.generation >= validFrom else { return nil }
        guard entry.sessionExpiresAt > now, instant - entry.storedAt < maxAge else { return nil }
        return entry.answer
    }

    /// Taken before a read asks the database; ``store(_:for:userID:sessionExpiresAt:ticket:)``
    /// keeps the answer only under the same ticket. Nil while memory may not answer.
    func ticket() -> UInt64? {
        let instant = ContinuousClock.now
        lock.lock()
        defer { lock.unlock() }
        return isFresh(at: instant) ? generation : nil
    }

    /// Remembers what the database answered, unless anything was forgotten since `ticket`.
    func store(_ answer: Answer, for key: Key, userID: Int64, sessionExpiresAt: Double, ticket: UInt64?) {
        guard let ticket else { return }
        let instant = ContinuousClock.now
        lock.lock()
        defer { lock.unlock() }
        guard ticket == generation, isFresh(at: instant) else { return }
        if entries.count >= maxEntries {
            entries.removeAll(keepingCapacity: true)
            keysByUser.removeAll(keepingCapacity: true)
        }
        entries[key] = Entry(
            answer: answer, sessionExpiresAt: sessionExpiresAt, storedAt: instant, generation: ticket)
        keysByUser[userID, default: []].insert(key)
    }

    /// Something of this user's changed (a session, the user, their token).
    func forget(userID: Int64) {
        lock.lock()
        defer { lock.unlock() }
        generation &+= 1
        for key in keysByUser.removeValue(forKey: userID) ?? [] { entries[key] = nil }
    }

    /// Something changed that may concern anyone (a whitelist entry, a table emptied, this node's
    /// own write).
    func forgetAll() {
        lock.lock()
        defer { lock.unlock() }
        generation &+= 1
        validFrom = generation
    }

    /// A read of changes sent at `sentAt` (`wall` by the wall clock) returned and what it found
    /// was forgotten: every write committed before then has been.
    func synced(sentAt: ContinuousClock.Instant, wall: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        if let syncedAt, syncedAt >= sentAt { return }
        syncedAt = sentAt
        syncedAtWall = wall
    }

    /// The listener lost its connection (or stopped): what it missed is unknown, so memory is
    /// emptied and stays off until a sync comes back on a new connection.
    func lost() {
        lock.lock()
        defer { lock.unlock() }
        syncedAt = nil
        syncedAtWall = nil
        generation &+= 1
        validFrom = generation
        entries.removeAll()
        keysByUser.removeAll()
    }

    /// Whether memory may answer now (tests, health).
    var isServing: Bool {
        let instant = ContinuousClock.now
        lock.lock()
        defer { lock.unlock() }
        return isFresh(at: instant)
    }

    /// Whether the listener has heard every write committed before `instant` (tests).
    func hasHeard(everythingBefore instant: ContinuousClock.Instant) -> Bool {
        lock.withLock { syncedAt.map { $0 >= instant } ?? false }
    }

    /// How many answers are remembered and not forgotten (tests).
    var count: Int { lock.withLock { entries.values.filter { $0.generation >= validFrom }.count } }

    private func isFresh(at instant: ContinuousClock.Instant) -> Bool {
        guard let syncedAt, let syncedAtWall, instant - syncedAt <= staleness else { return false }
        return Date().timeIntervalSince(syncedAtWall) <= stalenessSeconds
    }
}
