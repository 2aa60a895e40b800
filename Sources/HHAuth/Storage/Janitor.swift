import Foundation
import GRDB
import Logging

/// Deletes expired OAuth states, exchange codes and sessions, and the HH pairs no session needs
/// any more. Runs on its own thread in `serve`, and once from `hh-auth cleanup`.
public final class Janitor: @unchecked Sendable {
    private let database: AppDatabase
    private let states: LoginStateStore
    private let codes: ExchangeCodeStore
    private let sessions: SessionStore
    private let tokens: HHTokenStore
    private let revoker: HHClient?
    private let broker: TokenBroker?
    private let logger: Logger
    private let condition = NSCondition()
    private var stopped = false

    /// Pairs revoked per pass at most: each is one or two HH calls on the janitor's thread.
    static let orphanedPairsPerPass = 50

    /// `revoker`: HH pairs whose sessions are all gone are deleted and revoked only when there is
    /// one (the CLI has no HH settings and leaves them to the service). `broker`: its rotated pairs
    /// that a failing database did not take are saved on every pass.
    public init(
        database: AppDatabase, states: LoginStateStore, codes: ExchangeCodeStore, sessions: SessionStore,
        tokens: HHTokenStore, logger: Logger, revoker: HHClient? = nil, broker: TokenBroker? = nil
    ) {
        self.database = database
        self.states = states
        self.codes = codes
        self.sessions = sessions
        self.tokens = tokens
        self.revoker = revoker
        self.broker = broker
        self.logger = logger
    }

    /// What one pass removed.
    public struct Sweep: Sendable, Equatable {
        public var states = 0
        public var exchangeCodes = 0
        public var sessions = 0
        /// HH pairs of users without a live session, revoked at HH.
        public var orphanedPairs = 0
    }

    public func sweep() throws -> Sweep {
        broker?.saveUnsavedPairs()
        var orphaned: [HHTokenRecord] = []
        let swept = try database.write { db in
            var swept = Sweep(
                states: try states.deleteExpired(in: db), exchangeCodes: try codes.deleteExpired(in: db),
                sessions: try sessions.deleteExpired(in: db))
            if revoker != nil {
                orphaned = try tokens.deleteOrphaned(limit: Self.orphanedPairsPerPass, in: db)
                swept.orphanedPairs = orphaned.count
            }
            return swept
        }
        // After the commit: a pair is revoked only once it is gone from our side.
        for record in orphaned { revoker?.revokeQuietly(record) }
        return swept
    }

    /// Starts the background loop.
    public func start(intervalSeconds: Double) {
        let thread = Thread { [self] in loop(intervalSeconds: intervalSeconds) }
        thread.name = "janitor"
        thread.start()
    }

    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop(intervalSeconds: Double) {
        while true {
            condition.lock()
            if !stopped { _ = condition.wait(until: Date().addingTimeInterval(intervalSeconds)) }
            let done = stopped
            condition.unlock()
            if done { return }
            do {
                let swept = try sweep()
                if swept != Sweep() {
                    logger.debug(
                        "janitor",
                        metadata: [
                            "states": "\(swept.states)", "codes": "\(swept.exchangeCodes)",
                            "sessions": "\(swept.sessions)",
                            "hh_pairs": "\(swept.orphanedPairs)",
                        ])
                }
            } catch {
                logger.warning("janitor pass failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
