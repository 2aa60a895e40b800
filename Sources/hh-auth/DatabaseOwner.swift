import Foundation

/// Root does not open another user's database.
///
/// SQLite creates the `-wal` and `-shm` files beside the database as whoever opens it first. Root
/// opening the service's database (`/var/lib/hh-auth/`, owned by `hh-auth`) would leave them
/// root's, and the service could then no longer write its own database; systemd does not mend
/// that (`StateDirectory=` re-owns the files below only when the directory itself is wrong). So
/// every command that opens the database refuses, before SQLite is asked anything, when it runs as
/// root and the file belongs to someone else, or, before the file exists, the directory it would
/// be made in does (root's `migrate` there would make a database the service cannot write).
enum DatabaseOwner {
    /// Throws the one-line exit 2 that says whom to run as.
    static func refuseRootOnAnotherUsersFile(_ path: String) throws {
        guard geteuid() == 0 else { return }
        var status = stat()
        var subject = path
        if stat(path, &status) != 0 {
            let directory = (path as NSString).deletingLastPathComponent
            subject = directory.isEmpty ? "." : directory
            guard stat(subject, &status) == 0 else { return }
        }
        guard status.st_uid != 0 else { return }
        let owner = UnixUser.name(of: status.st_uid)
        throw StartupFailure.exit(
            "DATABASE_PATH: \(subject) belongs to \(owner); run this as \(owner), not as root (sudo -u \(owner) hh-auth …), "
                + "so SQLite's -wal and -shm files stay \(owner)'s")
    }
}
