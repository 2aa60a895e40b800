import Logging
import WorkerThreads

/// Watches one duty on the state the nodes share (the rate counts' flush, the admin throttle's
/// ledger). Every failure is counted in `hh_auth_database_errors_total` (under the label the
/// engine's own failures get: `unavailable` for a server out of reach, `busy` for a wait past its
/// deadline, …); the log says when the duty starts failing, with the cause, and when it works
/// again: an outage is two lines, not one per request.
final class SharedStateMonitor: Sendable {
    private let duty: String
    private let meanwhile: String
    private let logger: Logger?
    private let errors: DatabaseErrorMetrics?
    private let failing = Lock(false)

    /// `duty`: what the log names ("rate counts"); `meanwhile`: what the node does while it
    /// fails ("limits count per node"). `errors`: the engine's counters (labelled for
    /// PostgreSQL, the engine that shares state).
    init(duty: String, meanwhile: String, logger: Logger?, errors: DatabaseErrorMetrics?) {
        self.duty = duty
        self.meanwhile = meanwhile
        self.logger = logger
        self.errors = errors
    }

    /// Counts the failure; logs it when the duty worked until now.
    func failed(_ error: any Error) {
        errors?.count(Self.failure(error))
        let started = failing.withLock { failing in
            defer { failing = true }
            return !failing
        }
        guard started else { return }
        logger?.error(
            "the state the nodes share cannot be reached",
            metadata: ["duty": "\(duty)", "meanwhile": "\(meanwhile)", "error": "\(ErrorMapping.cause(of: error))"])
    }

    /// Logs the recovery when the duty was failing.
    func succeeded() {
        let recovered = failing.withLock { failing in
            defer { failing = false }
            return failing
        }
        guard recovered else { return }
        logger?.notice("the state the nodes share is reachable again", metadata: ["duty": "\(duty)"])
    }

    /// Whether the last attempt failed.
    var isFailing: Bool { failing.withLock { $0 } }

    private static func failure(_ error: any Error) -> StorageFailure {
        if let failure = error as? StorageFailure { return failure }
        if let error = error as? any StorageFailureConvertible { return error.storageFailure }
        return StorageFailure(.other, cause: String(describing: error))
    }
}
