import Foundation

/// The owner, group and mode of a file, and the classic Unix rule for who may do what with it:
/// the owner's bits for its owner, else the group's bits for the group's members, else the others'
/// (one class applies, never the most generous). Root passes. ACLs are not read.
struct FileAccess: Equatable {
    enum Permission: mode_t {
        case read = 4
        case write = 2
        /// Search, for a directory.
        case execute = 1
    }

    let owner: uid_t
    let group: gid_t
    /// The permission bits and the file type (`st_mode`).
    let mode: mode_t

    /// What `stat(2)` of a path found.
    enum Lookup: Equatable {
        case found(FileAccess)
        case missing
        /// Something else failed: this process may not look (EACCES) or the path is no path.
        case unreadable(reason: String)
    }

    /// `stat(2)` of `path`, following symbolic links.
    static func lookup(_ path: String) -> Lookup {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT { return .missing }
            return .unreadable(reason: String(cString: strerror(code)))
        }
        return .found(FileAccess(owner: status.st_uid, group: status.st_gid, mode: status.st_mode))
    }

    init(owner: uid_t, group: gid_t, mode: mode_t) {
        self.owner = owner
        self.group = group
        self.mode = mode
    }

    var isSocket: Bool { mode & S_IFMT == S_IFSOCK }
    var isDirectory: Bool { mode & S_IFMT == S_IFDIR }

    func allows(_ account: UnixAccount, _ permission: Permission) -> Bool {
        if account.uid == 0 { return true }
        let shift: mode_t = account.uid == owner ? 6 : account.groups.contains(group) ? 3 : 0
        return mode & (permission.rawValue << shift) != 0
    }

    /// `www-data:www-data 0660`.
    var description: String {
        let bits = String(mode & 0o7777, radix: 8)
        return "\(UnixAccount.userName(owner)):\(UnixAccount.groupName(group)) "
            + String(repeating: "0", count: max(0, 4 - bits.count)) + bits
    }
}
