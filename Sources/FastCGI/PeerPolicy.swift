#if canImport(Glibc)
    import Glibc
#endif

/// Which TCP peers may speak FastCGI to us. Whoever connects sets `REMOTE_ADDR`, so a peer other
/// than the web server could forge client addresses (and with them rate limits and audit rows).
///
/// Unix socket peers are always accepted: the socket file's mode decides who reaches it.
public enum PeerPolicy: Sendable, Equatable {
    /// The default: 127.0.0.0/8 and ::1 (also as an IPv4-mapped address).
    case loopback
    /// Exactly these addresses, as libfcgi's and fcgiwrap's `FCGI_WEB_SERVER_ADDRS` means it.
    case addresses([PeerAddress])

    /// Parses `FCGI_WEB_SERVER_ADDRS`: comma-separated IPv4 or IPv6 addresses; nil if any is not one.
    public init?(webServerAddresses text: String) {
        var addresses: [PeerAddress] = []
        for entry in text.split(separator: ",") {
            // Blanks around an entry are fine; blanks inside one are not an address.
            let words = entry.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.isEmpty { continue }
            guard words.count == 1, let address = PeerAddress(parsing: String(words[0])) else { return nil }
            addresses.append(address)
        }
        guard !addresses.isEmpty else { return nil }
        self = .addresses(addresses)
    }

    /// Whether a connection from `peer` (as `accept` filled it in) is let in.
    func allows(_ peer: PeerAddress?) -> Bool {
        guard let peer else { return true }
        switch self {
        case .loopback: return peer.isLoopback
        case .addresses(let allowed): return allowed.contains(peer)
        }
    }
}

/// An IP address, IPv4 kept in its IPv4-mapped IPv6 form so both families compare alike.
public struct PeerAddress: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]

    public init?(parsing text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = Self.mapped(v4)
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { Array($0) }
        } else {
            return nil
        }
    }

    /// The peer of an accepted connection; nil for a unix socket peer (no address to check).
    init?(socketAddress storage: sockaddr_storage) {
        var copy = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            bytes = Self.mapped(withUnsafeBytes(of: &copy) { $0.load(as: sockaddr_in.self) }.sin_addr)
        case AF_INET6:
            let address = withUnsafeBytes(of: &copy) { $0.load(as: sockaddr_in6.self) }.sin6_addr
            bytes = withUnsafeBytes(of: address) { Array($0) }
        default:
            return nil
        }
    }

    var isLoopback: Bool {
        let isMapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        let isV6Loopback = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
        return (isMapped && bytes[12] == 127) || isV6Loopback
    }

    public var description: String {
        let isMapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        if isMapped { return bytes[12...].map(String.init).joined(separator: ".") }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private static func mapped(_ address: in_addr) -> [UInt8] {
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] + withUnsafeBytes(of: address.s_addr) { Array($0) }
    }
}
