import PostgreSQL

/// PostgreSQL's errors as ``StorageFailure``s, by ``PGError/Kind``.
extension StorageFailure {
    /// The failure a PostgreSQL error is; the cause is the client's message (kind, SQLSTATE and the
    /// server's one line, never a value or the password: see ``PGError``).
    init(_ error: PGError) {
        self.init(Self.kind(of: error.kind), cause: error.description)
    }

    private static func kind(of kind: PGError.Kind) -> Kind {
        switch kind {
        // Down, starting, shutting down, out of connections, or a connection that broke: a 503
        // until it is back (the next call reconnects).
        case .unavailable, .connectionLost: .unavailable
        // Lost a conflict with a concurrent transaction, a deadlock, or a lock or statement that
        // timed out: another try may well succeed.
        case .serializationFailure, .queryCanceled: .busy
        case .uniqueViolation, .constraintViolation: .constraint
        case .diskFull: .full
        // A standby after a failover, or `default_transaction_read_only`.
        case .readOnly: .readOnly
        case .invalidConnectionString, .invalidValue, .other: .other
        }
    }
}

extension PGError: StorageFailureConvertible {
    public var storageFailure: StorageFailure { StorageFailure(self) }
}
