import Foundation
import GRDB

extension AppDatabase {
    /// Copies the live database to `path` with SQLite's online backup (the service may keep
    /// writing), then checks the copy. Returns the copy's `PRAGMA integrity_check` answer.
    ///
    /// The copy holds user profiles and token ciphertexts, so it is created 0600 whatever the
    /// operator's umask, and never over an existing file (`EEXIST`). A copy that fails is removed.
    public func backup(to path: String) throws -> String {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // The umask may have taken bits away from 0600 (never added any): set it exactly.
        let modeSet = fchmod(descriptor, 0o600) == 0
        close(descriptor)
        do {
            guard modeSet else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            let copy = try DatabaseQueue(path: path)
            try self.copy(into: copy)
            return try copy.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
        } catch {
            unlink(path)
            unlink(path + "-journal")
            throw error
        }
    }
}
