import Foundation
import Logging
import WorkerThreads

/// Deletes expired OAuth states, exchange codes and sessions, moves the HH pairs no session needs
/// any more to the ``RevocationQueue``, and revokes queued pairs at HH. Runs on its own thread in
/// `serve` (woken at once when a pair is queued), and once from `hh-auth cleanup`.
///
/// On a database several nodes share, the loop runs its passes only while it leads
/// (``JanitorLeadership``: one janitor of all the nodes' at a time); saving the node's own
/// rotated pairs that the database did not take stays every node's duty, leader or not.
public final class Janitor: @unchecked Sendable {
    private let storage: any StorageEngine
    /// Its cache of opened access tokens is swept on every pass.
    private let tokens: HHTokenStore
    /// Its wake signal is what the loop waits on.
    private let revocations: RevocationQueue
    private let revoker: HHClient?
    private let broker: TokenBroker?
    private let logger: Logger
    /// Whether the last pass could not write the noted session uses (logged once per change).
    private let usesUnwritten = Lock(false)
    /// The browser sessions' idle timeout, when there is one.
    private let idleTimeoutSeconds: Double?
    /// The uses of browser sessions not written yet, written before the idle sweep.
    private let sessionUses: SessionUseRecorder?
    /// The service's `hh_auth_sessions_active`, which this thread keeps counting.
    private let activeSessions: ActiveSessions?
    /// Nil: this janitor is the only one (SQLite), and always leads.
    private let leadership: (any JanitorLeadership)?
    private let stopped = Lock(false)
    private let exited = DispatchSemaphore(value: 0)
    /// Whether the loop was started and has ended, and whether `stop` left resigning to it (the
    /// loop outlived its wait: a pass still under way, which must not overlap another leader's).
    private let loopState = Lock((started: false, ended: false, resignsOnExit: false))

    /// Pairs moved to the revocation queue per pass at most.
    static let orphanedPairsPerPass = 500
    /// How long one pass may spend revoking: each pair is one or two HH calls on this thread.
    static let revocationBudgetSeconds = 10.0
    /// A revocation that kept failing for this many tries (about three days) is given up, loudly.
    static let maximumRevocationAttempts = 80

    /// `revoker`: queued pairs are revoked at HH only where there is one (the CLI has no HH
    /// settings and leaves them to the service). `broker`: its rotated pairs that a failing
    /// database did not take are saved on every pass. `activeSessions`: counted at least every
    /// ``ActiveSessions/recountSeconds`` while the loop runs (``countSessions()``).
    public convenience init(
        storage: any StorageEngine, tokens: HHTokenStore, revocations: RevocationQueue, logger: Logger,
        revoker: HHClient? = nil, broker: TokenBroker? = nil, idleTimeoutSeconds: Double? = nil,
        activeSessions: ActiveSessions? = nil
    ) {
        self.init(
            storage: storage, tokens: tokens, revocations: revocations, logger: logger, revoker: revoker,
            broker: broker, idleTimeoutSeconds: idleTimeoutSeconds, activeSessions: activeSessions, sessionUses: nil)
    }

    /// `sessionUses`: the uses it writes before deleting idle sessions (those of the service's lookups).
    init(
        storage: any StorageEngine, tokens: HHTokenStore, revocations: RevocationQueue, logger: Logger,
        revoker: HHClient?, broker: TokenBroker?, idleTimeoutSeconds: Double?, activeSessions: ActiveSessions?,
        sessionUses: SessionUseRecorder?
    ) {
        self.sessionUses = sessionUses
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.activeSessions = activeSessions
        self.storage = storage
        self.tokens = tokens
        self.revocations = revocations
        self.revoker = revoker
        self.broker = broker
        self.logger = logger
        leadership = storage.sharedState?.janitorLeadership(revocations.wake)
    }

    /// What one pass did.
    public struct Sweep: Sendable, Equatable {
        public var states = 0
        public var exchangeCodes = 0
        public var sessions = 0
        /// HH pairs of users without a live session or usable exchange code, queued for revocation.
        public var orphanedPairs = 0
        /// Queued pairs HH confirmed revoked (or dead) in this pass.
        public var revokedPairs = 0
    }

    public func sweep() throws -> Sweep {
        tokens.forgetExpiredOpenedTokens()
        broker?.saveUnsavedPairs()
        // A use noted and not yet written would otherwise look idle to the sweep below. When they
        // cannot be written (a row another transaction holds, the database busy), this pass
        // deletes no idle session (one it would delete may have a use waiting) but does the rest
        // of its work.
        var usesWritten = true
        if idleTimeoutSeconds != nil {
            do {
                try sessionUses?.flush()
            } catch {
                usesWritten = false
                // Once while it lasts, not every pass.
                if usesUnwritten.withLock({ unwritten in
                    defer { unwritten = true }
                    return !unwritten
                }) {
                    logger.warning(
                        "janitor: session uses cannot be written; idle sessions are not deleted until they are",
                        metadata: ["error": "\(ErrorMapping.cause(of: error))"])
                }
            }
            if usesWritten,
                usesUnwritten.withLock({ unwritten in
                    defer { unwritten = false }
                    return unwritten
                })
            {
                logger.notice("janitor: session uses written again; idle sessions are deleted again")
            }
        }
        var swept = try storage.write { tx in
            var swept = Sweep(
                states: try tx.states.deleteExpired(), exchangeCodes: try tx.codes.deleteExpired(),
                sessions: try tx.sessions.deleteExpired())
            if let idle = idleTimeoutSeconds, usesWritten {
                swept.sessions += try tx.sessions.deleteIdle(browserSessionsIdleFor: idle)
            }
            return swept
        }
        swept.orphanedPairs = try queueOrphanedPairs()
        swept.revokedPairs = try revokeDue()
        return swept
    }

    /// Moves the pairs no live session or usable exchange code needs to the revocation queue;
    /// returns how many. Each user is locked (``UserWrites/lock(id:)``, in id order) and found
    /// orphaned again under the lock before the move: a sign-in committing after the first look
    /// keeps its pair. A transaction of its own, after the deletions' (which lock session rows a
    /// logout may hold while it waits for the user).
    private func queueOrphanedPairs() throws -> Int {
        try storage.write { tx in
            let candidates = try tx.tokens.orphanedUserIDs(limit: Self.orphanedPairsPerPass).sorted()
            guard !candidates.isEmpty else { return 0 }
            for userID in candidates { try tx.users.lock(id: userID) }
            let orphaned = Set(try tx.tokens.orphanedUserIDs(limit: Self.orphanedPairsPerPass))
            var queued = 0
            for userID in candidates where orphaned.contains(userID) {
                try tx.revocations.enqueueStored(userID: userID)
                queued += 1
            }
            return queued
        }
    }

    /// The loop's pass: a whole ``sweep()`` while this janitor leads; otherwise only what is this
    /// node's own (its unsaved rotated pairs, its cache of opened tokens), and nil.
    public func leaderPass() throws -> Sweep? {
        guard leadership?.leads() ?? true else {
            tokens.forgetExpiredOpenedTokens()
            broker?.saveUnsavedPairs()
            return nil
        }
        return try sweep()
    }

    /// Revokes the queued pairs that are due, within ``revocationBudgetSeconds``; returns how
    /// many are done with. A failure leaves the pair queued for a later try.
    @discardableResult
    public func revokeDue() throws -> Int {
        guard let revoker else { return 0 }
        let deadline = Date().addingTimeInterval(Self.revocationBudgetSeconds)
        var done = 0
        while Date() < deadline && !stopped.withLock({ $0 }) {
            let (batch, unreadable) = try storage.write { tx in try tx.revocations.due(limit: 20) }
            if unreadable > 0 {
                logger.error(
                    "dropped queued HH pairs that no configured key decrypts; they cannot be revoked",
                    metadata: ["pairs": "\(unreadable)"])
            }
            if batch.isEmpty && unreadable == 0 { break }
            for entry in batch {
                guard Date() < deadline, !stopped.withLock({ $0 }) else { break }
                let outcome = revoker.revoke(entry.record)
                try storage.write { tx in
                    switch outcome {
                    case .revoked, .nothingLive:
                        try tx.revocations.remove(id: entry.id)
                    case .failed(nil) where entry.attempts + 1 >= Self.maximumRevocationAttempts:
                        // (A pair HH issued on this try is kept queued: giving up is for old pairs.)
                        logger.error(
                            "gave up revoking an HH token pair after many tries; it may stay valid at HH",
                            metadata: ["user": "\(entry.record.userID)", "attempts": "\(entry.attempts + 1)"])
                        try tx.revocations.remove(id: entry.id)
                    case .failed(let replacement):
                        try tx.revocations.postpone(entry, replacement: replacement)
                    }
                }
                if outcome == .revoked || outcome == .nothingLive { done += 1 }
            }
        }
        return done
    }

    /// Counts the unexpired sessions into ``ActiveSessions`` (when there is one): an indexed range
    /// count on this thread's read connection, never on a scrape.
    public func countSessions() throws {
        guard let activeSessions else { return }
        activeSessions.set(try storage.read { tx in try tx.sessions.listingCount(userID: nil) })
    }

    /// Starts the background loop: a whole pass every `intervalSeconds`, revocations as soon as
    /// a pair is queued, a count of the live sessions at least every ``ActiveSessions/recountSeconds``.
    public func start(intervalSeconds: Double) {
        loopState.withLock { $0.started = true }
        let thread = Thread { [self] in
            loop(intervalSeconds: intervalSeconds)
            let resigns = loopState.withLock { state in
                state.ended = true
                return state.resignsOnExit
            }
            if resigns { leadership?.resign() }
            exited.signal()
        }
        thread.name = "janitor"
        thread.start()
    }

    /// Stops the loop and waits (up to `timeoutSeconds`) for its pass to end, so nothing it does
    /// overlaps what the caller does next.
    ///
    /// The lead is given up once the loop has ended, so that another node's janitor takes over at
    /// its next pass, not when this process ends; a loop still in its pass after the wait gives
    /// it up itself when the pass ends (never two leaders' passes at once).
    public func stop(timeoutSeconds: Double = 5) {
        stopped.withLock { $0 = true }
        revocations.wake.signal()
        let running = loopState.withLock { $0.started && !$0.ended }
        if running { _ = exited.wait(timeout: .now() + timeoutSeconds) }
        let resignsNow = loopState.withLock { state in
            guard state.started && !state.ended else { return true }
            state.resignsOnExit = true
            return false
        }
        if resignsNow { leadership?.resign() }
    }

    private func loop(intervalSeconds: Double) {
        let countEvery = min(intervalSeconds, ActiveSessions.recountSeconds)
        var nextPass = Date().addingTimeInterval(intervalSeconds)
        var nextCount = Date()
        while true {
            let woken = revocations.wake.wait(until: activeSessions == nil ? nextPass : min(nextPass, nextCount))
            if stopped.withLock({ $0 }) { return }
            if activeSessions != nil && Date() >= nextCount {
                nextCount = Date().addingTimeInterval(countEvery)
                do {
                    try countSessions()
                } catch {
                    logger.warning(
                        "could not count the live sessions", metadata: ["error": "\(ErrorMapping.cause(of: error))"])
                }
            }
            do {
                if Date() < nextPass {
                    if woken, leadership?.leads() ?? true { try revokeDue() }
                    continue
                }
                // Counted again right after the pass, which may have deleted idle sessions.
                nextCount = Date()
                nextPass = Date().addingTimeInterval(intervalSeconds)
                guard let swept = try leaderPass() else { continue }
                if swept != Sweep() {
                    logger.debug(
                        "janitor",
                        metadata: [
                            "states": "\(swept.states)", "codes": "\(swept.exchangeCodes)",
                            "sessions": "\(swept.sessions)",
                            "hh_pairs_queued": "\(swept.orphanedPairs)", "hh_pairs_revoked": "\(swept.revokedPairs)",
                        ])
                }
            } catch {
                logger.warning("janitor pass failed", metadata: ["error": "\(ErrorMapping.cause(of: error))"])
            }
        }
    }
}
