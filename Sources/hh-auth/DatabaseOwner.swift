import Foundation

/// Root does not open another user's database.
///
/// On the production box the database is the service's (`hh-auth`'s), and what an operator does to
/// it is done as that user (`sudo -u hh-auth hh-auth …`): files made beside it belong to whoever
/// makes them. SQLite as built here (3.40) gives the `-wal` and `-shm` files it makes as root to
/// the database's owner, but that is a build option (`HAVE_FCHOWN`) not to lean on, and a database
/// root makes (`migrate`, `serve`) is root's, which the service could not write. systemd would not
/// mend it: `StateDirectory=` re-owns what is below only when the directory itself is wrong. So every
/// command that opens the database refuses, before SQLite is asked anything, when it runs as root
/// and the file belongs to someone else, or, before the file exists, the directory it would be
/// made in does.
enum DatabaseOwner {
    /// The user other than root who owns `path` (or, while it does not exist, its directory), when
    /// this process runs as root; `nil` otherwise. `subject` is the path whose owner it is.
    static func foreignOwner(of path: String) -> (subject: String, owner: String)? {
        guard geteuid() == 0 else { return nil }
        var status = stat()
        var subject = path
        if stat(path, &status) != 0 {
            let directory = (path as NSString).deletingLastPathComponent
            subject = directory.isEmpty ? "." : directory
            guard stat(subject, &status) == 0 else { return nil }
        }
        guard status.st_uid != 0 else { return nil }
        return (subject, UnixAccount.userName(status.st_uid))
    }

    /// Throws the one-line exit 2 that says whom to run as; `naming` is where the path came from.
    static func refuseRootOnAnotherUsersFile(_ path: String, naming setting: String = "DATABASE_PATH") throws {
        guard let found = foreignOwner(of: path) else { return }
        throw StartupFailure.exit(
            "\(setting): \(found.subject) belongs to \(found.owner); run this as \(found.owner), not as root "
                + "(sudo -u \(found.owner) hh-auth …), so that what it writes there stays \(found.owner)'s")
    }
}
