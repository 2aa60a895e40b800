#if canImport(Glibc)
    import Glibc
#endif

/// The units the admin throttle counts client addresses in.
///
/// One IPv6 customer usually holds a whole /64 (2^64 addresses), and one site often a whole /48
/// (65,536 /64s), so counting single IPv6 addresses would hand an attacker unlimited fresh ones.
/// An IPv4-mapped IPv6 address counts as its IPv4 address. Anything else (a unix-socket peer, an
/// empty `REMOTE_ADDR`) is its own text.
enum AddressBlock {
    /// The unit of the per-address cap: an IPv4 address or an IPv6 /64.
    static func key(for address: String) -> String { prefix(of: address, groups: 4) }

    /// The unit of the guarded account's one try per pause (``FailedLoginThrottle``): an IPv4
    /// address or an IPv6 /48, so an attacker holding a /48 is one address there, not 65,536.
    static func guardKey(for address: String) -> String { prefix(of: address, groups: 3) }

    private static func prefix(of address: String, groups count: Int) -> String {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return address }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return address }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: count * 2, by: 2).map {
            String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
        return groups.joined(separator: ":") + "::/\(count * 16)"
    }
}
