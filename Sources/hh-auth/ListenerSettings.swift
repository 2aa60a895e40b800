import FastCGI
import HHAuth

/// Where the FastCGI server listens and which TCP peers it lets in: `FCGI_SOCKET` and
/// `FCGI_WEB_SERVER_ADDRS`. Read here rather than in HHAuth's ``Configuration``: they are the
/// transport's settings, and the library knows no transport.
struct ListenerSettings: Equatable {
    /// `nil` means: accept on fd 0, where systemd puts the socket.
    var address: ListenAddress?
    /// Which TCP peers may speak FastCGI to us; loopback by default.
    var peers: PeerPolicy = .loopback

    /// Reads both settings through `parser` (the one ``Configuration`` came from); a malformed
    /// one is a ``ConfigurationError`` naming it.
    init(_ parser: ConfigurationParser) throws(ConfigurationError) {
        if let socket = parser.optional("FCGI_SOCKET") {
            guard let address = ListenAddress(parsing: socket) else {
                throw ConfigurationError("FCGI_SOCKET", "must be a unix socket path or host:port")
            }
            self.address = address
        }
        if let text = parser.optional("FCGI_WEB_SERVER_ADDRS") {
            guard let peers = PeerPolicy(webServerAddresses: text) else {
                throw ConfigurationError("FCGI_WEB_SERVER_ADDRS", "must be comma-separated IPv4 or IPv6 addresses")
            }
            self.peers = peers
        }
    }

    /// Settings that are set but do nothing, one line each (``ConfigurationParser/warnings()``
    /// has the library's).
    static func warnings(_ parser: ConfigurationParser) -> [String] {
        guard parser.optional("FCGI_WEB_SERVER_ADDRS") != nil, let socket = parser.optional("FCGI_SOCKET"),
            socket.hasPrefix("/")
        else { return [] }
        return [
            "FCGI_WEB_SERVER_ADDRS: not used with a unix socket (FCGI_SOCKET is a path; its mode decides who connects)"
        ]
    }
}
