import Foundation
import Logging
import PostgreSQL

/// Keeps a node's ``SessionReadCache`` true to a database other writers share: a thread with a
/// connection of its own `LISTEN`s on ``channel`` (what the v3 triggers notify,
/// ``PostgreSQLSchema/v3``) and forgets what each notification names; and every ``syncInterval``
/// it notifies a channel only it listens on and, when that comes back, tells the cache
/// (``SessionReadCache/synced(sentAt:)``). Notifications arrive in the order their transactions
/// committed, so the sync's return proves every change committed before it was sent has been
/// heard.
///
/// Any failure (the connection broke or went silent, a sync did not come back within
/// ``syncGiveUp``) empties the cache and turns it off (``SessionReadCache/lost()``) until a sync
/// comes back on a new connection; every lookup asks the database meanwhile. The connection's
/// syncs commit with `synchronous_commit = off`: they write nothing worth a flush.
final class PostgreSQLSessionCacheListener: @unchecked Sendable {
    /// The channel the triggers notify, payload a user's id or `*`, a space, and the schema.
    static let channel = "hh_sessions"

    let cache: SessionReadCache
    let syncInterval: Duration
    /// A sync that has not come back after this long means a connection that went silent.
    let syncGiveUp: Duration = .seconds(10)
    private let connection: PostgreSQLDedicatedConnection
    /// This listener's own channel for its syncs, so no node hears another's.
    private let syncChannel = "hh_sync_" + Hex.encode(SecretToken.randomBytes(8))
    private let logger: Logger?
    private let stopping = WakeSignal()
    private let state = NSLock()
    private var stopped = false

    init(
        _ connectionString: PGConnectionString, cache: SessionReadCache, defaults: PGConnectionDefaults,
        logger: Logger? = nil
    ) {
        var defaults = defaults
        defaults.settings["synchronous_commit"] = "off"
        // A listener that stops reading (its process stopped, a paused VM) holds back the
        // server's notification queue for every session of the database, and a full queue fails
        // every write that notifies. This one syncs at least every 2.5 s, so a minute of silence
        // means it is stuck: the server ends the session and lets the queue go (PostgreSQL 14+).
        defaults.settings["idle_session_timeout"] = "60s"
        self.connection = PostgreSQLDedicatedConnection(connectionString, defaults: defaults)
        self.cache = cache
        // Four syncs per staleness bound, so that one slow round trip does not close the cache.
        self.syncInterval = max(cache.staleness / 4, .milliseconds(5))
        self.logger = logger
    }

    /// Starts the listening thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "session-cache"
        thread.start()
    }

    /// Ends the listening thread within about one ``syncInterval``; the cache is off from now on.
    func stop() {
        state.withLock { stopped = true }
        cache.lost()
        stopping.signal()
    }

    private var isStopped: Bool { state.withLock { stopped } }

    private func run() {
        var sequence: UInt64 = 0
        var failing = false
        while !isStopped {
            do {
                let schema = try connection.use { connection in
                    try connection.execute("LISTEN \(Self.channel)")
                    try connection.execute("LISTEN \(syncChannel)")
                    return try connection.execute("SELECT current_schema()").first?.string(0) ?? ""
                }
                if failing { logger?.notice("session cache: listening again; lookups answer from memory again") }
                failing = false
                try listen(&sequence, schema: schema)
            } catch {
                cache.lost()
                connection.disconnect()
                if !failing && !isStopped {
                    logger?.warning(
                        "session cache off: its listener lost the database (\(Self.describe(error))); every lookup asks the database until it is back"
                    )
                }
                failing = true
                _ = stopping.wait(until: Date(timeIntervalSinceNow: connection.reconnectPauseSeconds))
            }
        }
        cache.lost()
        connection.close()
    }

    /// Syncs and hears notifications until the listener stops or the connection fails.
    private func listen(_ sequence: inout UInt64, schema: String) throws {
        var outstanding: (number: UInt64, sentAt: ContinuousClock.Instant)?
        var nextSync = ContinuousClock.now
        while !isStopped {
            let now = ContinuousClock.now
            if let sync = outstanding, now - sync.sentAt > syncGiveUp {
                throw PGError(.connectionLost, "a sync did not come back within \(syncGiveUp)")
            }
            if outstanding == nil, now >= nextSync {
                sequence += 1
                let sentAt = ContinuousClock.now
                let number = String(sequence)
                try connection.use { connection in
                    _ = try connection.execute("SELECT pg_notify($1, $2)", [.text(syncChannel), .text(number)])
                }
                outstanding = (sequence, sentAt)
                nextSync = sentAt + syncInterval
            }
            guard let listening = connection.current() else {
                throw PGError(.connectionLost, "the connection was closed")
            }
            // Until the next sync is due, or, while one is out, as long as an interval: its return
            // (like any notification) ends the wait early.
            let wait = outstanding == nil ? max(nextSync - ContinuousClock.now, .milliseconds(1)) : syncInterval
            for notification in try listening.notifications(waitingUpTo: Self.seconds(wait)) {
                if notification.channel == syncChannel {
                    if let sync = outstanding, notification.payload == String(sync.number) {
                        cache.synced(sentAt: sync.sentAt)
                        outstanding = nil
                    }
                } else {
                    forget(notification.payload, schema: schema)
                }
            }
        }
    }

    /// Forgets what a trigger's payload names (`<user id> <schema>` or `* <schema>`); another
    /// schema's is let be, anything not understood forgets everything.
    private func forget(_ payload: String, schema: String) {
        guard let space = payload.firstIndex(of: " ") else { return cache.forgetAll() }
        guard payload[payload.index(after: space)...] == schema else { return }
        if let userID = Int64(payload[..<space]) {
            cache.forget(userID: userID)
        } else {
            cache.forgetAll()
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func describe(_ error: any Error) -> String {
        (error as? PGError)?.message ?? (error as? StorageFailure).map { "\($0)" } ?? "\(type(of: error))"
    }
}
