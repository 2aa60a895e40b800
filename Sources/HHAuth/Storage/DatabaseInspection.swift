import Foundation
import GRDB

/// An hh-auth database file looked at without being used: read-only, never migrated, never switched
/// to WAL, so looking changes nothing (`hh-auth doctor`). ``AppDatabase`` is what serves; it
/// migrates as it opens, which would hide a schema that is behind.
public final class DatabaseInspection: Sendable {
    private let queue: DatabaseQueue
    /// The database file.
    public let path: String

    /// Opens only a file that `serve` or `migrate` made, like `AppDatabase(path:mustExist:)`:
    /// throws ``StorageError/missing``, ``StorageError/notHHAuth`` or ``StorageError/unreadable``.
    public init(path: String) throws {
        try AppDatabase.requireHHAuthFile(at: path)
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        configuration.busyMode = SQLiteBusyWait(seconds: AppDatabase.defaultBusyTimeoutSeconds).mode
        configuration.label = "hh-auth.inspection"
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StorageError.unreadable
        }
        self.path = path
    }

    /// Closes the connection now rather than when the last reference goes (later uses fail):
    /// one that may write, closing after it, can then remove the file's `-wal` and `-shm`.
    func close() {
        try? queue.close()
    }

    /// One read transaction: every statement in `body` sees the same snapshot.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.read(body)
    }

    /// The size of the main file in bytes (not its `-wal`).
    public var fileSize: Int64 {
        var status = stat()
        return stat(path, &status) == 0 ? Int64(status.st_size) : 0
    }

    /// `wal` for a file `serve` has opened: the mode is kept in the file itself.
    public func journalMode() throws -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }.lowercased()
    }

    /// When the newest audit event was written (`nil` when there is none): the clock that wrote it
    /// was at least there then.
    public func newestAuditEventTime() throws -> Date? {
        try read { db in try AuditLog.newestEventTime(in: db) }
    }
}
