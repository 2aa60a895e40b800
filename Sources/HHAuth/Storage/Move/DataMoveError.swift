/// Why a ``DataMove`` refused or failed; the target is left as it was in every case (one the move
/// created is removed again).
public enum DataMoveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Source and target are one database.
    case sameDatabase
    /// The target already holds rows (in the table named).
    case targetNotEmpty(table: String)
    /// The target schema holds something of another program's (a table, a function… named),
    /// and no hh-auth migrations: nothing is created there.
    case targetNotHHAuth(schema: String, holds: String)
    /// A PostgreSQL source is in use by hh-auth: `sessions` named `hh-auth` on its database or
    /// holding the janitor's lock, or (`janitorLeads`) a node's janitor leads on its schema.
    case sourceInUse(sessions: [SourceSession], janitorLeads: Bool)
    /// A SQLite source's write lock is held by another connection (a service writing to it).
    case sourceLocked
    /// A SQLite source this process may not write, next to a write-ahead log that holds
    /// something: a service may be writing it (or one stopped without closing it), and without
    /// the write lock the move cannot hold it off.
    case sourceUnlockable(path: String)
    /// The source's schema lacks migrations this binary has: `hh-auth migrate` brings it up first.
    case sourceBehind(missing: [String])
    /// The source is no hh-auth database (no migrations recorded).
    case sourceNotHHAuth
    /// A value of the source does not have the type its column should (a file edited by hand).
    case unexpectedValue(table: String, column: String)
    /// The copied audit trail fails `audit verify` on the target: the source's chain is broken
    /// there (its own `audit verify` says so too), or the copy is.
    case auditChainBroken(eventID: Int64, checked: Int)
    /// The target's verified chain is not as long as the copied trail.
    case auditCountMismatch(copied: Int, verified: Int)

    /// How many of the sessions in use a refusal names (a cluster of nodes holds hundreds).
    static let sessionsNamed = 10

    public var description: String {
        switch self {
        case .sameDatabase: "the source and the target are the same database"
        case .targetNotEmpty(let table):
            "the target already holds data (\(table) has rows); move into a new, empty database"
        case .targetNotHHAuth(let schema, let holds):
            "the target schema \(schema) holds \(holds), which is not hh-auth's; move into a new, empty database "
                + "or schema"
        case .sourceInUse(let sessions, let janitorLeads):
            "the source is in use by hh-auth ("
                + [
                    sessions.isEmpty
                        ? nil
                        : "\(sessions.count) other session(s) on its database: "
                            + sessions.prefix(Self.sessionsNamed).map(\.description).joined(separator: "; ")
                            + (sessions.count > Self.sessionsNamed
                                ? "; and \(sessions.count - Self.sessionsNamed) more" : ""),
                    janitorLeads && !sessions.contains(where: \.leadsJanitor) ? "a janitor leads on its schema" : nil,
                ].compactMap { $0 }.joined(separator: "; ")
                + "): stop every `hh-auth serve` on it first, and wait for other hh-auth commands on it "
                + "(`doctor`, `cleanup`…) to end; a node that died leaves its sessions until the server notices "
                + "(about a minute), or end one with SELECT pg_terminate_backend(pid). Whatever they wrote during "
                + "or after the copy would be missing from the target"
        case .sourceUnlockable(let path):
            "the source \(path) cannot be opened for writing, so the move cannot lock it, and its write-ahead log "
                + "(\(path)-wal) is not empty: a service may still be writing to it; stop every `hh-auth serve` on it "
                + "and run the move as the file's owner (e.g. sudo -u hh-auth)"
        case .sourceLocked:
            "the source file is locked by another connection writing to it: a service is using it; stop every "
                + "`hh-auth serve` on it first (and wait for other hh-auth commands on it to end)"
        case .sourceBehind(let missing):
            "the source's schema is older than this hh-auth's (missing \(missing.joined(separator: ", "))); "
                + "run `hh-auth migrate` on it first"
        case .sourceNotHHAuth: "the source is not an hh-auth database"
        case .unexpectedValue(let table, let column):
            "the source's \(table).\(column) holds a value of another type than the column's"
        case .auditChainBroken(let id, let checked):
            "the audit chain does not verify on the target: event \(id) does not follow from the chain "
                + "(\(checked) events before it verified); nothing was written"
        case .auditCountMismatch(let copied, let verified):
            "the target's audit chain verifies \(verified) events, but \(copied) were copied; nothing was written"
        }
    }
}
