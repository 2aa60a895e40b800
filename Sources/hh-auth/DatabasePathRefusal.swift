import HHAuth

/// Why `DATABASE_PATH` names no database an operator command may use: one line naming the setting.
/// Only `serve` and `migrate` create a database; every other command, `doctor` included, says so
/// in these words rather than report on a new, empty file.
enum DatabasePathRefusal {
    static let unset =
        "DATABASE_PATH: is not set; name the service's database file (only `serve` and `migrate` create one)"

    /// The line for a ``StorageError`` about the file at `path`; `nil` for any other error.
    static func line(for error: any Error, path: String) -> String? {
        guard let error = error as? StorageError else { return nil }
        if error == .missing { return "DATABASE_PATH: no database at \(path) (only `serve` and `migrate` create one)" }
        if error == .notHHAuth { return "DATABASE_PATH: \(path) is not an hh-auth database" }
        if error == .unreadable { return "DATABASE_PATH: cannot read \(path)" }
        return nil
    }
}
