#if canImport(Glibc)
    import Glibc
#endif

/// The unit a per-address limit counts: an IPv4 address, or an IPv6 /64.
///
/// One IPv6 customer usually holds a whole /64 (2^64 addresses), so counting single IPv6
/// addresses would hand an attacker unlimited fresh ones. An IPv4-mapped IPv6 address counts as
/// its IPv4 address. Anything else (a unix-socket peer, an empty `REMOTE_ADDR`) is its own text.
enum AddressBlock {
    static func key(for address: String) -> String {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return address }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return address }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map {
            String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
        return groups.joined(separator: ":") + "::/64"
    }
}
