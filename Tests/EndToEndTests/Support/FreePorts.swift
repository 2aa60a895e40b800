import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Free loopback ports: bind port 0, read the number, close.
/// Ports for the test servers, each handed out once per test process.
///
/// Taken below the kernel's ephemeral range (`ip_local_port_range`, 32768 and up by default): a
/// port `bind(0)` picks there is free only until its socket closes, and then any outgoing
/// connection of the tests running beside (hundreds at once) may get it before nginx binds it;
/// seen once in CI: a redirect test's port answered by another server with 400. Below that range
/// only an explicit bind takes a port, and each one here is checked free before it is handed out.
enum FreePorts {
    private static let lock = NSLock()
    /// Where this process starts: spread by pid so two test processes rarely probe the same ports.
    nonisolated(unsafe) private static var next = UInt16(20_000 + Int(getpid() % 600) * 16)

    static func take(_ count: Int) throws -> [UInt16] {
        lock.lock()
        defer { lock.unlock() }
        var ports: [UInt16] = []
        var tries = 0
        while ports.count < count {
            tries += 1
            guard tries < 2_000 else { throw HarnessError("no free port below the ephemeral range") }
            let port = next
            next = next >= 30_000 ? 20_000 : next + 1
            if isFree(port) { ports.append(port) }
        }
        return ports
    }

    private static func isFree(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
