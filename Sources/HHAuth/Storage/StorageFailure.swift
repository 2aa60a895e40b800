/// A failure of the storage engine, whichever engine it is: what ``ErrorMapping`` answers and
/// `hh_auth_database_errors_total` counts, without knowing SQLite's (or another engine's) codes.
///
/// Each engine translates its own errors into one of these at its boundary (the SQLite engine in
/// ``AppDatabase``'s reads and writes); everything above sees only this type.
public struct StorageFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The classes an operator acts on.
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// Another connection held a lock past the busy timeout.
        case busy
        /// A conflict inside one connection (SQLite's shared cache).
        case locked
        /// The disk is full.
        case full
        /// The operating system failed a read, write or sync.
        case io
        /// The database is damaged.
        case corrupt
        /// The database, or its directory, cannot be written.
        case readOnly
        /// The database cannot be opened or reached (ownership, permissions, a server that is down).
        case unavailable
        /// A write broke a constraint (a bug, or two writers' race).
        case constraint
        /// Anything else (a missing table, a misuse): a bug, answered 500.
        case other
    }

    public let kind: Kind
    /// What the engine said, for the log: its codes and message, never SQL and never a bound value.
    public let cause: String

    public init(_ kind: Kind, cause: String) {
        self.kind = kind
        self.cause = cause
    }

    /// Whether the same call may well succeed later: answered 503 with `Retry-After`.
    public var isTransient: Bool {
        switch kind {
        case .busy, .locked, .full, .io, .readOnly, .unavailable: true
        case .corrupt, .constraint, .other: false
        }
    }

    public var description: String { cause }
}

/// An engine's own error type that has a ``StorageFailure`` meaning: one the engine did not get
/// to translate at its boundary (a handler that met it directly) is still answered and logged
/// as the failure it is.
public protocol StorageFailureConvertible: Error {
    var storageFailure: StorageFailure { get }
}
