import PostgreSQL

extension ConfigurationParser {
    /// The database the settings select: `DATABASE_URL` (a `postgresql://` or `postgres://` URL;
    /// a secret, so also `DATABASE_URL_FILE` or the credential `database_url`) selects PostgreSQL,
    /// and wins over `DATABASE_PATH` (``warnings()`` says when both are set); otherwise
    /// `DATABASE_PATH` selects SQLite. `nil` when neither is set (each command has its default or
    /// refusal). A URL of another scheme, or one libpq cannot parse, is refused without quoting it.
    public func database() throws(ConfigurationError) -> DatabaseSelection? {
        if let path = settings["DATABASE_URL_FILE"], !path.isEmpty, readFile(path) == nil {
            throw ConfigurationError("DATABASE_URL_FILE", "cannot read \(path)")
        }
        if let url = optional("DATABASE_URL", secret: true) {
            guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
                throw ConfigurationError(
                    "DATABASE_URL",
                    "must be a postgresql:// or postgres:// URL (PostgreSQL is the only database it selects; unset it for SQLite at DATABASE_PATH)"
                )
            }
            do {
                _ = try PGConnectionString(url)
            } catch {
                throw ConfigurationError(
                    "DATABASE_URL", "is not a URL libpq can parse (postgresql://user@host/database)")
            }
            return .postgreSQL(connectionString: url)
        }
        return optional("DATABASE_PATH").map { .sqlite(path: $0) }
    }

    /// The line ``warnings()`` gives when `DATABASE_URL` and `DATABASE_PATH` are both set.
    public static let databasePathIgnored =
        "DATABASE_PATH: not read: DATABASE_URL selects PostgreSQL (unset DATABASE_URL to use the SQLite file)"

    /// Whether `DATABASE_PATH` is set beside `DATABASE_URL`, so it is not read.
    public var ignoresDatabasePath: Bool {
        optional("DATABASE_PATH") != nil && optional("DATABASE_URL", secret: true) != nil
    }
}
