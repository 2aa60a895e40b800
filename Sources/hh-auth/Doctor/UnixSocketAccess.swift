/// Whether an account may connect to the unix socket at a path: it needs search permission on
/// every directory above the socket, and write permission on the socket itself (connect(2)).
enum UnixSocketAccess: Equatable {
    case allowed(socket: FileAccess)
    /// Nothing at this path (the socket, or a directory above it).
    case missing(path: String)
    case notASocket(FileAccess)
    /// A directory above the socket the account may not search.
    case directoryClosed(path: String, FileAccess)
    /// The socket is there, but the account may not write to it.
    case socketClosed(FileAccess)

    /// This process could not look at a path on the way (the reason is `strerror`'s).
    case unreadable(path: String, reason: String)

    /// `path` must be absolute; `lookup` is `stat(2)` (tests pass a table).
    static func check(
        _ account: UnixAccount, path: String, lookup: (String) -> FileAccess.Lookup = FileAccess.lookup
    ) -> UnixSocketAccess {
        for directory in directories(above: path) {
            let access: FileAccess
            switch lookup(directory) {
            case .found(let found): access = found
            case .missing: return .missing(path: directory)
            case .unreadable(let reason): return .unreadable(path: directory, reason: reason)
            }
            guard access.allows(account, .execute) else { return .directoryClosed(path: directory, access) }
        }
        let socket: FileAccess
        switch lookup(path) {
        case .found(let found): socket = found
        case .missing: return .missing(path: path)
        case .unreadable(let reason): return .unreadable(path: path, reason: reason)
        }
        guard socket.isSocket else { return .notASocket(socket) }
        guard socket.allows(account, .write) else { return .socketClosed(socket) }
        return .allowed(socket: socket)
    }

    /// `/run/hh-auth/fcgi.sock` → `/`, `/run`, `/run/hh-auth`.
    static func directories(above path: String) -> [String] {
        let parts = path.split(separator: "/").dropLast()
        var directories = ["/"]
        var current = ""
        for part in parts {
            current += "/" + part
            directories.append(current)
        }
        return directories
    }
}
