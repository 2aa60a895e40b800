/// Whether a client address (`REMOTE_ADDR` as nginx passes it) is on this host's loopback:
/// all of `127.0.0.0/8`, `::1`, and `127.0.0.0/8` written as IPv4-mapped IPv6.
public enum LoopbackAddress {
    public static func contains(_ address: String) -> Bool {
        if address == "::1" || address == "0:0:0:0:0:0:0:1" { return true }
        let lowered = address.lowercased()
        let ipv4 = lowered.hasPrefix("::ffff:") ? String(lowered.dropFirst("::ffff:".count)) : lowered
        let parts = ipv4.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.first == "127" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && Int(part).map { $0 <= 255 } == true
        }
    }
}
