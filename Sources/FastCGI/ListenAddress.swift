#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the server accepts connections from the web server.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A unix socket at this path, created with mode 0660; a stale file is replaced.
    case unixSocket(path: String)
    /// A TCP socket, for a web server on another host (loopback in development).
    case tcp(host: String, port: UInt16)
    /// A socket that is already listening, as systemd passes it on fd 0 (`StandardInput=socket`).
    case inherited(descriptor: Int32)

    /// Parses `FCGI_SOCKET`: a path (anything with a `/`) or `host:port`.
    public init?(parsing text: String) {
        if text.contains("/") {
            self = .unixSocket(path: text)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0
        else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty else { return nil }
        self = .tcp(host: host, port: port)
    }

    /// Whether fd 0 is a listening socket, i.e. systemd handed us one.
    public static func standardInputIsListeningSocket() -> Bool {
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &length) == 0 else { return false }
        var accepting: Int32 = 0
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 else { return false }
        return accepting != 0
    }

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix:\(path)"
        case .tcp(let host, let port): "\(host):\(port)"
        case .inherited(let fd): "fd \(fd)"
        }
    }
}
