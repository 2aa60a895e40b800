import Foundation
import GRDB
import Logging

/// Deletes expired OAuth states, exchange codes and sessions. Runs on its own thread in `serve`,
/// and once from `hh-auth cleanup`.
public final class Janitor: @unchecked Sendable {
    private let database: AppDatabase
    private let states: LoginStateStore
    private let codes: ExchangeCodeStore
    private let sessions: SessionStore
    private let logger: Logger
    private let condition = NSCondition()
    private var stopped = false

    public init(database: AppDatabase, states: LoginStateStore, codes: ExchangeCodeStore, sessions: SessionStore, logger: Logger) {
        self.database = database
        self.states = states
        self.codes = codes
        self.sessions = sessions
        self.logger = logger
    }

    /// What one pass removed.
    public struct Sweep: Sendable, Equatable {
        public var states = 0
        public var exchangeCodes = 0
        public var sessions = 0
    }

    public func sweep() throws -> Sweep {
        try database.write { db in
            Sweep(
                states: try states.deleteExpired(in: db), exchangeCodes: try codes.deleteExpired(in: db),
                sessions: try sessions.deleteExpired(in: db))
        }
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
                        "janitor", metadata: ["states": "\(swept.states)", "codes": "\(swept.exchangeCodes)", "sessions": "\(swept.sessions)"])
                }
            } catch {
                logger.warning("janitor pass failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
