import GRDB

extension AppDatabase {
    /// Copies the live database to `path` with SQLite's online backup (the service may keep
    /// writing), then checks the copy. Returns the copy's `PRAGMA integrity_check` answer.
    public func backup(to path: String) throws -> String {
        let copy = try DatabaseQueue(path: path)
        try writer.backup(to: copy)
        return try copy.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}
