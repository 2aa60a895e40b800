/// A failure of PostgreSQL or of the client: what kind it is (what a caller decides on), the
/// SQLSTATE when the server gave one, and a message fit for a log.
///
/// The message never holds a parameter's value or the connection's password: data exceptions
/// (SQLSTATE class 22, whose server text quotes the value it refused) get a fixed text, the
/// server's detail line (which quotes key values) is never read, and a password the connection
/// string gave is cut out of whatever libpq says.
public struct PGError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as far as a caller can act on it.
    public enum Kind: Sendable, Hashable {
        /// The server could not be reached or refused the connection (down, starting up, shutting
        /// down, too many connections, authentication, no such database). Retry later.
        case unavailable
        /// An established connection broke. A statement sent meanwhile (a `COMMIT` too) may or may
        /// not have taken effect; ``PGConnection/reset()`` reconnects.
        case connectionLost
        /// A unique or primary key constraint refused a row (23505).
        case uniqueViolation
        /// Another integrity constraint refused a row: not-null, foreign key, check, exclusion (23xxx).
        case constraintViolation
        /// The transaction lost a conflict with a concurrent one (40001) or a deadlock (40P01);
        /// running it again may succeed.
        case serializationFailure
        /// A write reached a read-only transaction or server (25006), e.g. a standby after failover.
        case readOnly
        /// The server's disk is full (53100).
        case diskFull
        /// The statement was canceled: `statement_timeout`, `lock_timeout` or a cancel request
        /// (57014, 55P03).
        case queryCanceled
        /// The connection string is neither a libpq conninfo nor a `postgresql://` URL.
        case invalidConnectionString
        /// A value did not fit: a parameter the server refused (SQLSTATE class 22), a text
        /// parameter holding NUL, or a column read as a type it does not hold.
        case invalidValue
        /// Anything else: SQL errors, misuse of the connection, out of memory.
        case other
    }

    public let kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    /// One line saying what failed, without values or the password.
    public let message: String
    /// The constraint that refused the row, for integrity violations.
    public let constraint: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.constraint = constraint
    }

    public var description: String {
        let code = sqlState.map { ", SQLSTATE \($0)" } ?? ""
        return "PostgreSQL \(kind)\(code): \(message)"
    }
}

extension PGError.Kind {
    /// The kind of a server error with this SQLSTATE (on a connection that is still up; a broken
    /// connection is ``connectionLost`` whatever the code).
    public init(sqlState: String) {
        switch sqlState {
        case "23505": self = .uniqueViolation
        case "40001", "40P01": self = .serializationFailure
        case "25006": self = .readOnly
        case "53100": self = .diskFull
        case "57014", "55P03": self = .queryCanceled
        // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped, too_many_connections
        case "57P01", "57P02", "57P03", "57P04", "53300": self = .unavailable
        default:
            switch sqlState.prefix(2) {
            case "08": self = .unavailable
            case "22": self = .invalidValue
            case "23": self = .constraintViolation
            default: self = .other
            }
        }
    }
}
