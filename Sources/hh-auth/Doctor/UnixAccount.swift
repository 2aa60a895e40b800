import Foundation

/// A user as the kernel checks file permissions for it: its uid and every group it is in.
struct UnixAccount: Equatable {
    let name: String
    let uid: uid_t
    /// The primary group first, then the supplementary ones.
    let groups: [gid_t]

    /// The account named `name` in the user database (`getpwnam`, `getgrouplist`); `nil` when there
    /// is none.
    init?(named name: String) {
        guard let entry = getpwnam(name) else { return nil }
        let uid = entry.pointee.pw_uid
        let primary = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(name, primary, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
        }
        self.init(name: name, uid: uid, groups: [primary] + groups.prefix(Int(count)).filter { $0 != primary })
    }

    init(name: String, uid: uid_t, groups: [gid_t]) {
        self.name = name
        self.uid = uid
        self.groups = groups
    }

    /// `name`, or the number when the user database has no name for it.
    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }

    static func groupName(_ gid: gid_t) -> String {
        guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return String(gid) }
        return String(cString: name)
    }
}
