import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// This host's addresses, for tests that need a client nginx sees as *not* loopback: a socket
/// bound to the host's own non-loopback IPv4 address can still connect to 127.0.0.1.
enum LocalAddresses {
    static func nonLoopbackIPv4() throws -> String {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { throw HarnessError("getifaddrs failed: errno \(errno)") }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else {
                continue
            }
            var ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            guard inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count)) != nil else { continue }
            let dotted = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !dotted.hasPrefix("127.") { return dotted }
        }
        throw HarnessError("this host has no non-loopback IPv4 address to test from")
    }
}
