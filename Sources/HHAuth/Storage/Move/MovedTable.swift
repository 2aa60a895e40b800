import Foundation

/// One table that `migrate-data` copies (``DataMove``): its columns in a fixed order, with the
/// kind of value each holds, so that each engine reads and writes them in its own types (SQLite's
/// `INTEGER` flags are PostgreSQL's `boolean`s, its `BLOB`s `bytea`).
///
/// The list is the schema both engines share (``Migrations`` after its last migration, and
/// ``PostgreSQLSchema``): what a deployment needs to go on where it stopped. Not in it: the
/// engines' own bookkeeping (`grdb_migrations`, `hh_auth_migrations`, which the target's migrator
/// writes) and the id counters and the audit chain's head, which move as ``MovedSequenceState``.
struct MovedTable: Sendable, Equatable {
    /// What a column holds; every engine reads and binds it as this.
    enum Kind: Sendable, Equatable {
        case integer, real, text, blob, flag
    }

    struct Column: Sendable, Equatable {
        let name: String
        let kind: Kind
    }

    let name: String
    let columns: [Column]
    /// The columns the rows are copied in the order of: the primary key.
    let orderBy: String
    /// Whether `id` (the first column) is handed out by the engine (SQLite's `AUTOINCREMENT`, a
    /// PostgreSQL identity), whose counter then moves too.
    let hasIdentity: Bool

    var columnList: String { columns.map(\.name).joined(separator: ", ") }

    private init(_ name: String, orderBy: String, identity: Bool, _ columns: [(String, Kind)]) {
        self.name = name
        self.orderBy = orderBy
        self.hasIdentity = identity
        self.columns = columns.map { Column(name: $0.0, kind: $0.1) }
    }

    /// Every table, parents before the rows that refer to them (users before sessions).
    static let all: [MovedTable] = [
        MovedTable(
            "users", orderBy: "id", identity: true,
            [
                ("id", .integer), ("hh_user_id", .text), ("email", .text), ("full_name", .text),
                ("is_active", .flag), ("created_at", .real), ("updated_at", .real),
            ]),
        MovedTable(
            "allowed_users", orderBy: "id", identity: true,
            [
                ("id", .integer), ("hh_user_id", .text), ("comment", .text), ("groups", .text),
                ("is_active", .flag), ("created_at", .real), ("updated_at", .real),
            ]),
        MovedTable(
            "sessions", orderBy: "id", identity: true,
            [
                ("id", .integer), ("id_hash", .blob), ("handle", .text), ("user_id", .integer), ("kind", .text),
                ("created_at", .real), ("expires_at", .real), ("last_seen_at", .real),
            ]),
        MovedTable(
            "hh_tokens", orderBy: "user_id", identity: false,
            [
                ("user_id", .integer), ("key_id", .text), ("access_token", .blob), ("refresh_token", .blob),
                ("expires_at", .real), ("version", .integer), ("lease_owner", .text), ("lease_until", .real),
                ("updated_at", .real),
            ]),
        MovedTable(
            "oauth_states", orderBy: "state_hash", identity: false,
            [("state_hash", .blob), ("redirect_uri", .text), ("expires_at", .real)]),
        MovedTable(
            "exchange_codes", orderBy: "code_hash", identity: false,
            [("code_hash", .blob), ("user_id", .integer), ("expires_at", .real)]),
        MovedTable(
            "hh_revocations", orderBy: "id", identity: true,
            [
                ("id", .integer), ("user_id", .integer), ("key_id", .text), ("access_token", .blob),
                ("refresh_token", .blob), ("expires_at", .real), ("attempts", .integer), ("next_attempt_at", .real),
                ("created_at", .real),
            ]),
        // Its ids are the chain's, not an identity's on PostgreSQL: they move with the chain head.
        MovedTable(
            "audit_events", orderBy: "id", identity: false,
            [
                ("id", .integer), ("event_type", .text), ("user_id", .integer), ("metadata", .text),
                ("created_at", .real), ("hash", .text),
            ]),
    ]

    /// The tables of either schema that hold no deployment data of their own: the migrators'
    /// records, the id counters, and the chain's guard row (``MovedSequenceState``).
    static let bookkeeping: Set<String> = [
        "grdb_migrations", "hh_auth_migrations", "sqlite_sequence", "audit_guard",
        // What several nodes share for a moment (rate windows, the admin throttle): SQLite keeps
        // it in memory, and a move happens with the service stopped, so it starts afresh.
        "rate_counts", "admin_failures", "admin_blocks", "admin_trusted_addresses", "admin_check_bucket",
        // What the nodes' session caches read (PostgreSQL only): moments of history, not state.
        "session_changes",
    ]
}

/// One value of a ``MovedTable`` row, as it passes from one engine to the other.
enum MovedValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case flag(Bool)
}
