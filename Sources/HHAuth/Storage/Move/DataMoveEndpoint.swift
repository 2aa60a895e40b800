import PostgreSQL

/// Where `migrate-data` reads or writes: a SQLite file, or a PostgreSQL database named by a
/// `postgresql://` URL. Its description names it without the password, so it may be printed.
public enum DataMoveEndpoint: Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgreSQL(PGConnectionString)

    /// A `postgresql://` or `postgres://` URL is PostgreSQL, checked by libpq's own parser (a URL
    /// it cannot parse throws ``PGError/Kind/invalidConnectionString``, whose message quotes
    /// nothing of it); anything else is the path of a SQLite file.
    public init(_ argument: String) throws(PGError) {
        if argument.hasPrefix("postgresql://") || argument.hasPrefix("postgres://") {
            self = .postgreSQL(try PGConnectionString(argument))
        } else {
            self = .sqlite(path: argument)
        }
    }

    /// Whether it carries a password (a URL's `user:password@`, `?password=` or `sslpassword=`):
    /// on a command line, other users of the machine see it in the process list.
    public var carriesPassword: Bool {
        guard case .postgreSQL(let connectionString) = self else { return false }
        return ["password", "sslpassword"].contains { !(connectionString.value(of: $0) ?? "").isEmpty }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "SQLite \(path)"
        case .postgreSQL(let connectionString): "PostgreSQL \(connectionString)"
        }
    }
}
