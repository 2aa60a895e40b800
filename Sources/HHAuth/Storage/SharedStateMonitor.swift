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
/// failing writes at most one failure line per `logIntervalSeconds`, with how many failures there
/// were since the line before.
final class SharedStateMonitor: Sendable {
    private struct State {
        var failing = false
        /// A failure line stands with no recovery line since; whether it was this node's turn.
        var reported = false
        var reportedLocal = false
        /// When the last failure line was written (seconds on `uptime`).
        var lastLine: Double?
        /// Failures since the last failure line, that one's included.
        var failures = 0
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

    /// Counts the failure (the database's); logs it unless a failure line was written within
    /// the interval.
    func failed(_ error: any Error) {
        let local = error is any LocalTurnFailure
        if !local { errors?.count(Self.failure(error)) }
        let now = uptime()
        let line = state.withLock { state -> (failures: Int, still: Bool)? in
            state.failing = true
            state.failures += 1
            if let last = state.lastLine, now - last < logIntervalSeconds { return nil }
            defer {
                state.lastLine = now
                state.failures = 0
                state.reported = true
                state.reportedLocal = local
            }
            return (state.failures, state.reported)
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

    /// Logs the recovery when a failure line stands.
    func succeeded() {
        let recovered = state.withLock { state -> Bool? in
            state.failing = false
            guard state.reported else { return nil }
            state.reported = false
            return state.reportedLocal
        }
        guard let local = recovered else { return }
        logger?.notice(
            local
                ? "this node's turn at the shared state is free again" : "the state the nodes share is reachable again",
            metadata: ["duty": "\(duty)"])
    }

    /// Whether the last attempt failed.
    var isFailing: Bool { state.withLock { $0.failing } }

    private static func failure(_ error: any Error) -> StorageFailure {
        if let failure = error as? StorageFailure { return failure }
        if let error = error as? any StorageFailureConvertible { return error.storageFailure }
        return StorageFailure(.other, cause: String(describing: error))
    }
}
