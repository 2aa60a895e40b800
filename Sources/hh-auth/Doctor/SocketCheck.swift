import Foundation
import HHAuth

/// Check 5: nginx can reach `serve`. For a unix socket (`FCGI_SOCKET`, or systemd's with socket
/// activation), nginx's user may search every directory above it and write to it, and something
/// listens there (``ListeningUnixSockets``: known without connecting, so whoever runs doctor
/// need not be allowed to connect); for TCP, something accepts a connection.
struct SocketCheck {
    /// Where the shipped `hh-auth.socket` listens (`ListenStream=`).
    static let systemdSocketPath = "/run/hh-auth/fcgi.sock"
    static let name = "socket"

    /// `nil` when `FCGI_SOCKET` does not parse.
    let listener: ListenerSettings?
    /// The socket to look at when `FCGI_SOCKET` is unset (socket activation).
    let systemdSocket: String
    let nginxUser: String
    /// The kernel's table of unix sockets (tests name another file).
    var socketTable = ListeningUnixSockets.table

    func run() -> DoctorFinding {
        guard let listener else { return .notChecked(Self.name, needs: "settings (FCGI_SOCKET)") }
        switch listener.address {
        case .unixSocket(let path)?:
            return unix(path, source: "FCGI_SOCKET")
        case .tcp(let host, let port)?:
            return tcp(host: host, port: port)
        case nil, .inherited?:
            return unix(systemdSocket, source: "FCGI_SOCKET unset: systemd's socket; --socket names another")
        }
    }

    /// `path` as `serve` (or systemd) binds it.
    private func unix(_ path: String, source: String) -> DoctorFinding {
        guard let account = UnixAccount(named: nginxUser) else {
            return .fail(
                Self.name, "there is no user \(nginxUser) on this system to check the socket for",
                "name the user nginx's workers run as (`user` in nginx.conf) with --nginx-user")
        }
        let resolved = URL(fileURLWithPath: absolute(path)).resolvingSymlinksInPath().path
        let start =
            "systemctl start hh-auth.socket (or, with FCGI_SOCKET, the service that creates it)"
        switch UnixSocketAccess.check(account, path: resolved) {
        case .missing(let missing):
            return .fail(
                Self.name, "no \(missing == resolved ? "socket" : "directory") at \(missing) (\(source))", start)
        case .unreadable(let unreadable, let reason):
            return .fail(
                Self.name, "cannot look at \(unreadable) to check \(resolved): \(reason)",
                "run doctor as root or as the service's user")
        case .notASocket(let access):
            return .fail(Self.name, "\(resolved) is not a socket (\(access.description))", "remove it, then \(start)")
        case .directoryClosed(let directory, let access):
            return .fail(
                Self.name,
                "\(nginxUser) cannot reach \(resolved): it may not search \(directory) (\(access.description))",
                "let it through: group or other x permission on \(directory) (hh-auth.socket's DirectoryMode=0755 does)"
            )
        case .socketClosed(let access):
            return .fail(
                Self.name,
                "\(nginxUser) may not connect to \(resolved) (\(access.description)): connecting needs write permission",
                "hh-auth.socket's SocketUser=/SocketGroup=/SocketMode=0660 for \(nginxUser), or put \(nginxUser) in the socket's group"
            )
        case .allowed(let access):
            let allowed = "\(nginxUser) may connect to \(resolved) (\(access.description))"
            let listening: ListeningUnixSockets
            do {
                listening = try ListeningUnixSockets.read(from: socketTable)
            } catch {
                return .fail(
                    Self.name,
                    "\(allowed), but whether something listens on it is unknown: cannot read \(socketTable): \(error.reason)",
                    "run doctor where /proc is mounted")
            }
            guard listening.paths.contains(where: [path, absolute(path), resolved].contains) else {
                return .fail(
                    Self.name, "\(allowed), but nothing listens on it",
                    "systemctl status hh-auth.socket hh-auth (a socket file outlives a process that died)")
            }
            return .ok(Self.name, "\(allowed); something listens on it")
        }
    }

    private func tcp(host: String, port: UInt16) -> DoctorFinding {
        switch SocketConnection.tcp(host: host, port: port, timeoutSeconds: 3) {
        case .accepted:
            return .ok(
                Self.name,
                "\(host):\(port) accepts connections (TCP: FCGI_WEB_SERVER_ADDRS decides which peers may speak FastCGI)"
            )
        case .refused:
            return .fail(
                Self.name, "nothing accepts connections on \(host):\(port) (FCGI_SOCKET)", "systemctl status hh-auth")
        case .denied, .failed:
            return .fail(
                Self.name, "cannot connect to \(host):\(port) (FCGI_SOCKET)",
                "systemctl status hh-auth; check the firewall")
        }
    }

    /// A relative `FCGI_SOCKET` is relative to `serve`'s working directory: here, this one's.
    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
