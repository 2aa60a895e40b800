import Foundation

/// Unix user names, for messages and the CLI's audit actor (`cli:<name>`).
enum UnixUser {
    /// Whom this process acts as (its effective user).
    static var effective: String { name(of: geteuid()) }

    /// The account's name, or the number when the user database has none.
    static func name(of uid: uid_t) -> String {
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name { return String(cString: name) }
        return String(uid)
    }
}
