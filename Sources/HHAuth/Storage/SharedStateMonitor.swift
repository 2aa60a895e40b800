import Foundation
import Logging
import WorkerThreads

/// Watches one duty on the state the nodes share (the rate counts' flush, the admin throttle's
/// ledger). Every failure of the database is counted in `hh_auth_database_errors_total` (under the
/// label the engine's own failures get: `unavailable` for a server out of reach, `busy` for a wait
/// past its deadline, …); a wait for this node's own turn (``LocalTurnFailure``) is not the
/// database's failure, so it is logged as what it is and not counted there.
///
/// The log says when the duty starts failing, with the cause, and when it works again: an outage
/// is two lines, not one per request. A duty that flaps (failing, working, failing, …) or goes on
/// failing writes at most one failure line per `logIntervalSeconds` of each kind (the database
/// failing, this node's turn busy), with how many failures of that kind there were since its line
/// before. The kinds keep quiet apart: the database failing just after this node's turn was busy
/// (or the other way round) is logged at once, not up to an interval later. While both go on
/// (a server out of reach holds one step, the others find the turn busy) that is two lines an
/// interval, not one per change.
final class SharedStateMonitor: Sendable {
    /// The failure lines of one kind.
    private struct Lines {
        /// A failure line stands with no recovery line since.
        var reported = false
        /// When the last failure line was written (seconds on `uptime`).
        var lastLine: Double?
        /// Failures since the last failure line, that one's included.
        var failures = 0

        /// Counts a failure; the line to write (how many failures it covers, whether one of its
        /// kind stands already), or nil within the quiet period.
        mutating func failed(at now: Double, quietSeconds: Double) -> (failures: Int, still: Bool)? {
            failures += 1
            if let lastLine, now - lastLine < quietSeconds { return nil }
            defer {
                lastLine = now
                failures = 0
                reported = true
            }
            return (failures, reported)
        }
    }

    private struct State {
        var failing = false
        var database = Lines()
        var localTurn = Lines()
    }

    private let duty: String
    private let meanwhile: String
    private let logger: Logger?
    private let errors: DatabaseErrorMetrics?
    private let logIntervalSeconds: Double
    private let uptime: @Sendable () -> Double
    private let state = Lock(State())

    /// `duty`: what the log names ("rate counts"); `meanwhile`: what the node does while it
    /// fails ("limits count per node"). `errors`: the engine's counters (labelled for
    /// PostgreSQL, the engine that shares state). `uptime`: a monotonic clock in seconds (tests).
    init(
        duty: String, meanwhile: String, logger: Logger?, errors: DatabaseErrorMetrics?,
        logIntervalSeconds: Double = 60,
        uptime: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.duty = duty
        self.meanwhile = meanwhile
        self.logger = logger
        self.errors = errors
        self.logIntervalSeconds = logIntervalSeconds
        self.uptime = uptime
    }

    /// Counts the failure (the database's); logs it unless a failure line of its kind was
    /// written within the interval.
    func failed(_ error: any Error) {
        let local = error is any LocalTurnFailure
        if !local { errors?.count(Self.failure(error)) }
        let now = uptime()
        let line = state.withLock { state -> (failures: Int, still: Bool)? in
            state.failing = true
            return local
                ? state.localTurn.failed(at: now, quietSeconds: logIntervalSeconds)
                : state.database.failed(at: now, quietSeconds: logIntervalSeconds)
        }
        guard let line else { return }
        var metadata: Logger.Metadata = [
            "duty": "\(duty)", "meanwhile": "\(meanwhile)", "error": "\(ErrorMapping.cause(of: error))",
        ]
        if line.failures > 1 { metadata["failures"] = "\(line.failures) since the last line" }
        if local {
            logger?.warning(
                line.still
                    ? "this node's turn at the shared state is still busy"
                    : "this node's turn at the shared state is busy",
                metadata: metadata)
        } else {
            logger?.error(
                line.still
                    ? "the state the nodes share still cannot be reached"
                    : "the state the nodes share cannot be reached",
                metadata: metadata)
        }
    }

    /// Logs the recovery of each kind whose failure line stands.
    func succeeded() {
        let recovered = state.withLock { state -> (database: Bool, localTurn: Bool) in
            state.failing = false
            defer {
                state.database.reported = false
                state.localTurn.reported = false
            }
            return (state.database.reported, state.localTurn.reported)
        }
        if recovered.database {
            logger?.notice("the state the nodes share is reachable again", metadata: ["duty": "\(duty)"])
        }
        if recovered.localTurn {
            logger?.notice("this node's turn at the shared state is free again", metadata: ["duty": "\(duty)"])
        }
    }

    /// Whether the last attempt failed.
    var isFailing: Bool { state.withLock { $0.failing } }

    private static func failure(_ error: any Error) -> StorageFailure {
        if let failure = error as? StorageFailure { return failure }
        if let error = error as? any StorageFailureConvertible { return error.storageFailure }
        return StorageFailure(.other, cause: String(describing: error))
    }
}
