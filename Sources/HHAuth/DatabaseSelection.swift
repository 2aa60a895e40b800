import PostgreSQL

/// Which database the service and the CLI use: a SQLite file (`DATABASE_PATH`, the embedded
/// default) or a PostgreSQL database (`DATABASE_URL`), which several nodes may share.
///
/// The PostgreSQL connection string is a secret (it may carry the password): ``description``
/// shows only where it points (host, port, database, user), never the rest.
public enum DatabaseSelection: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file at this path.
    case sqlite(path: String)
    /// A PostgreSQL database: a `postgresql://` (or `postgres://`) URL, password and all.
    case postgreSQL(connectionString: String)

    /// The SQLite file's path; `nil` on PostgreSQL.
    public var sqlitePath: String? {
        if case .sqlite(let path) = self { return path }
        return nil
    }

    /// `SQLite database <path>`, or `PostgreSQL database host=… port=… dbname=… user=…`: safe to log.
    public var description: String {
        switch self {
        case .sqlite(let path): "SQLite database \(path)"
        case .postgreSQL(let connectionString): "PostgreSQL database \(Self.masked(connectionString))"
        }
    }

    /// Where a connection string points, and nothing else: the parameters that name a place or a
    /// role, so a password, an `sslpassword` or an option that carries one never shows.
    public static func masked(_ connectionString: String) -> String {
        guard let parsed = try? PGConnectionString(connectionString) else { return "(unparsable connection string)" }
        let shown = ["host", "hostaddr", "port", "dbname", "user"].compactMap { keyword in
            parsed.value(of: keyword).map { "\(keyword)=\($0)" }
        }
        return shown.isEmpty ? "(libpq defaults)" : shown.joined(separator: " ")
    }
}
