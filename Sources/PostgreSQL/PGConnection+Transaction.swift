internal import CLibPQ
import WorkerThreads

/// A transaction's isolation level (`BEGIN ISOLATION LEVEL …`).
public enum PGIsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension PGConnection {
    /// Runs `body` in one transaction: `BEGIN`, then `COMMIT` when `body` returns, `ROLLBACK` when
    /// it throws (its error is rethrown). The connection serves only this thread until the end.
    ///
    /// A statement that failed inside `body` aborts the transaction even if `body` caught its
    /// error: the transaction then rolls back and throws that statement's error. A
    /// ``PGError/Kind/connectionLost`` from `COMMIT` leaves the outcome unknown. Transactions do
    /// not nest: calling this inside one throws. `body` must not wait for another thread that
    /// uses this connection: that thread waits for the transaction to end.
    ///
    /// - Parameter isolation: nil for the server's default (`READ COMMITTED` unless configured).
    @discardableResult
    public func transaction<T>(isolation: PGIsolationLevel? = nil, _ body: (PGConnection) throws -> T) throws -> T {
        try lock.withLock {
            let handle = try openHandle()
            guard PQtransactionStatus(handle) == PQTRANS_IDLE else {
                throw PGError(.other, "a transaction is already open on this connection")
            }
            try execute(isolation.map { "BEGIN ISOLATION LEVEL \($0.rawValue)" } ?? "BEGIN")
            transactionFailure = nil
            let value: T
            do {
                value = try body(self)
            } catch {
                rollBack(handle)
                throw error
            }
            if PQtransactionStatus(handle) == PQTRANS_INERROR {
                let failure = transactionFailure
                rollBack(handle)
                throw failure ?? PGError(.other, "the transaction failed and was rolled back")
            }
            try execute("COMMIT")
            return value
        }
    }

    /// Rolls back whatever is open; nothing to do on a broken connection (the server rolls back).
    private func rollBack(_ handle: OpaquePointer) {
        transactionFailure = nil
        guard PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        let result = try? exchange(handle, { PQexec(handle, "ROLLBACK") }, sending: { PQsendQuery(handle, "ROLLBACK") })
        if let result = result ?? nil { PQclear(result) }
    }
}
