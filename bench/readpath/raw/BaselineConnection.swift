// A copy of Sources/HHAuth/Storage/ThreadConnection.swift as it was before issue 10 (main at b132c91), types
// renamed: the baseline of bench/readpath/run.sh, which opened its own raw connection.
import GRDB
import GRDBSQLite

/// A raw SQLite connection owned by one worker thread, for the few reads every session call
/// makes. GRDB's read wraps each call in a savepoint, toggles `query_only` and re-checks the
/// schema: several statements prepared per read, which profiled at about half of `/auth/token`.
/// Here a read is one prepared statement stepped once.
final class BaselineConnection {
    private let handle: OpaquePointer
    private var statements: [String: BaselineStatement] = [:]

    init(path: String, busyTimeoutSeconds: Double) throws {
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let error = DatabaseError(code: code, connection: connection)
            sqlite3_close_v2(connection)
            throw error
        }
        handle = connection
        sqlite3_busy_timeout(connection, Int32(busyTimeoutSeconds * 1000))
        // Reads only, with a small page cache: there is one of these per worker thread.
        for pragma in ["PRAGMA query_only = 1", "PRAGMA cache_size = -256"] {
            let code = sqlite3_exec(connection, pragma, nil, nil, nil)
            guard code == SQLITE_OK else {
                let error = DatabaseError(code: code, connection: connection)
                sqlite3_close_v2(connection)
                throw error
            }
        }
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// The statement for `sql`, prepared on first use.
    func statement(_ sql: String) throws -> BaselineStatement {
        if let statement = statements[sql] { return statement }
        let statement = try BaselineStatement(sql: sql, connection: handle)
        statements[sql] = statement
        return statement
    }
}
