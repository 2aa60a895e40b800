#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opens the listening descriptor for a ``ListenAddress``.
///
/// We create sockets ourselves instead of `FCGX_OpenSocket` so that the unix socket's mode and the
/// replacement of a stale file are under our control.
enum ListeningSocket {
    static let backlog: Int32 = 1024

    static func open(_ address: ListenAddress) throws(FastCGIError) -> Int32 {
        switch address {
        case .inherited(let descriptor):
            return descriptor
        case .unixSocket(let path):
            return try openUnix(path: path)
        case .tcp(let host, let port):
            return try openTCP(host: host, port: port)
        }
    }

    private static func openUnix(path: String) throws(FastCGIError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw FastCGIError("socket path is too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FastCGIError(errno: errno, "socket()") }
        // A socket file left by a crashed run would make bind fail; only a socket is ever removed.
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                close(fd)
                throw FastCGIError("\(path) exists and is not a socket")
            }
            unlink(path)
        }
        let previousMask = umask(0o117)
        defer { umask(previousMask) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw FastCGIError(errno: code, "bind(\(path))")
        }
        chmod(path, 0o660)
        guard listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw FastCGIError(errno: code, "listen(\(path))")
        }
        return fd
    }

    private static func openTCP(host: String, port: UInt16) throws(FastCGIError) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw FastCGIError("not an IPv4 address: \(host)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FastCGIError(errno: errno, "socket()") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw FastCGIError(errno: code, "bind/listen(\(host):\(port))")
        }
        return fd
    }
}
