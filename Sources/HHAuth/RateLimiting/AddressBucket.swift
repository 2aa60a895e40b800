#if canImport(Glibc)
    import Glibc
#endif

/// The unit a per-client bound counts: an IPv4 address as it is, an IPv6 address by its /64. One
/// host or customer usually holds a whole /64, so counting single IPv6 addresses would let one
/// machine pose as 2^64 clients and walk past every per-address bound.
enum AddressBucket {
    static func of(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var parsed = in6_addr()
        guard inet_pton(AF_INET6, address, &parsed) == 1 else { return address }
        let bytes = withUnsafeBytes(of: parsed) { Array($0) }
        // IPv4-mapped (`::ffff:a.b.c.d`): one IPv4 client.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return address }
        return Hex.encode(bytes[0..<8]) + "/64"
    }
}
