import Foundation
import HHAuth

/// Whether this process may use a settings path (the env file, the credentials directory), and the
/// one line that says why not, naming the path and the permissions it needs.
///
/// On the production box these are root's, and the service's user reads them through its group
/// (README, Deploy step 2). A box installed before that (`DynamicUser=`) has them root's alone
/// (0700, 0600): to `hh-auth` the default file then looks absent (`stat` fails with EACCES), and
/// reading on without it would end in a misleading "DATABASE_PATH is not set". So only a path that
/// is not there (ENOENT) counts as absent; any other failure is a ``ConfigurationError``.
enum SettingsPathAccess {
    /// What the layout of the production box gives the service's user, and whom to run as.
    static let wanted =
        "the service's user must read it: directories 0750, files 0640, root:hh-auth (README, Deploy step 2), "
        + "and commands run as that user (sudo -u hh-auth hh-auth …)"

    /// `stat(2)` of `path`: `nil` when there is nothing there; a path this process may not look up
    /// (a directory above it it may not enter, or no path at all) is refused under `option`'s name.
    static func lookup(_ path: String, option: String) throws(ConfigurationError) -> FileAccess? {
        switch FileAccess.lookup(path) {
        case .found(let access): return access
        case .missing: return nil
        case .unreadable(let reason):
            if let directory = closedDirectory(above: path), case .found(let access) = FileAccess.lookup(directory) {
                throw ConfigurationError(
                    option,
                    "cannot reach \(path) as \(user): \(directory) is \(access.description), which \(user) may not enter; "
                        + wanted)
            }
            throw ConfigurationError(option, "cannot look up \(path) as \(user): \(reason)")
        }
    }

    /// The refusal for a file that is there (`access`) but could not be read.
    static func unreadableFile(_ path: String, _ access: FileAccess, option: String) -> ConfigurationError {
        guard !access.isDirectory else {
            return ConfigurationError(option, "cannot read \(path) as \(user): it is a directory")
        }
        return ConfigurationError(option, "cannot read \(path) as \(user): it is \(access.description); \(wanted)")
    }

    /// The refusal for a directory of secrets (`access`) this process may not enter, or `nil`.
    static func closedSecrets(_ path: String, _ access: FileAccess, option: String) -> ConfigurationError? {
        guard !mayEnter(path) else { return nil }
        return ConfigurationError(
            option, "cannot read the secrets in \(path) as \(user): it is \(access.description); \(wanted)")
    }

    /// The first directory on the way to `path` that this process may not enter (search), if any.
    static func closedDirectory(above path: String) -> String? {
        var directories: [String] = []
        var directory = (path as NSString).deletingLastPathComponent
        while !directory.isEmpty {
            directories.append(directory)
            guard directory != "/" else { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        if !path.hasPrefix("/") { directories.append(".") }
        return directories.reversed().first { directory in
            guard case .found(let access) = FileAccess.lookup(directory), access.isDirectory else { return false }
            return !mayEnter(directory)
        }
    }

    /// With the effective user and groups, as the kernel checks them for this process.
    private static func mayEnter(_ directory: String) -> Bool { faccessat(AT_FDCWD, directory, X_OK, AT_EACCESS) == 0 }

    private static var user: String { UnixAccount.userName(geteuid()) }
}
