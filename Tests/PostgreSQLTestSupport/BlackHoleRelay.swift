import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP relay on a loopback port to a test cluster's unix socket, which can be told to go silent
/// (``blackHole()``): from then on it keeps every connection open and reads what clients send,
/// but forwards nothing either way and answers nothing, as a network that lost the server without
/// a word (a failover, a cut link, a proxy that hung). The clients' kernels see a healthy peer
/// (their data is acknowledged, keepalives answered), so only the client's own deadlines end
/// their waits: what the tests of those deadlines need, where `pg_ctl stop` or
/// `pg_terminate_backend` would close the connections and tell the client at once.
///
/// The server side is the cluster's unix socket (the test clusters listen on no TCP port); what
/// is under test is the client's side of the connection, which is TCP.
///
/// Its descriptors are closed in one place, `deinit`, which runs only once every thread of the
/// relay has ended (each holds the relay): a number the relay shut down or read from is never
/// one the kernel already gave to someone else. (A `shutdown` of the listener after the accept
/// thread had closed it once cut whatever connection of another test took the number: the
/// "server closed the connection unexpectedly" of setup connects in full runs.)
public final class BlackHoleRelay: @unchecked Sendable {
    /// The loopback port clients connect to.
    public let port: UInt16
    /// `conninfo` with its `host` and `port` replaced by the relay's.
    public let conninfo: String
    private let upstream: String
    /// Open until `deinit` (internal: a test checks it is never given up early).
    let listener: Int32
    private let state = LockedValue((silent: false, closed: false, sockets: [Int32]()))

    /// A relay to the unix socket `conninfo` names (`host=<directory> port=<port>`).
    public init(forwardingTo conninfo: String) throws {
        var host = "", upstreamPort = "5432"
        var rest: [String] = []
        for word in conninfo.split(separator: " ") {
            if word.hasPrefix("host=") {
                host = String(word.dropFirst(5))
            } else if word.hasPrefix("port=") {
                upstreamPort = String(word.dropFirst(5))
            } else {
                rest.append(String(word))
            }
        }
        upstream = host + "/.s.PGSQL." + upstreamPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ClusterFailure("relay: socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        guard bound == 0, named == 0, listen(listener, 64) == 0 else {
            Glibc.close(listener)
            throw ClusterFailure("relay: cannot listen on a loopback port")
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
        self.conninfo = (["host=127.0.0.1", "port=\(port)"] + rest).joined(separator: " ")
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "black-hole-relay"
        thread.start()
    }

    /// No thread of the relay runs any more (each held it): its descriptors are closed, once.
    deinit {
        for socket in state.withLock({ $0.sockets }) { _ = Glibc.close(socket) }
        _ = Glibc.close(listener)
    }

    /// From now on nothing is forwarded and new connections get no server; connections stay open.
    public func blackHole() {
        state.withLock { $0.silent = true }
    }

    /// Stops accepting and ends every connection (clients see them end); the descriptors stay
    /// open, unused, until the relay is gone. Calling it again does nothing.
    public func close() {
        let sockets = state.withLock { state -> [Int32]? in
            guard !state.closed else { return nil }
            state.closed = true
            return state.sockets
        }
        guard let sockets else { return }
        _ = shutdown(listener, Int32(SHUT_RDWR))
        for socket in sockets { _ = shutdown(socket, Int32(SHUT_RDWR)) }
    }

    private var isSilent: Bool { state.withLock { $0.silent } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                // Shut down by close() (or broken): the listener stays open until deinit.
                break
            }
            guard track(client) else { break }
            if isSilent {
                // Held open, read and dropped: a server that never answers.
                Thread { [self] in pump(from: client, to: nil) }.start()
                continue
            }
            let server = connectUpstream()
            guard server >= 0, track(server) else {
                _ = shutdown(client, Int32(SHUT_RDWR))
                continue
            }
            Thread { [self] in pump(from: client, to: server) }.start()
            Thread { [self] in pump(from: server, to: client) }.start()
        }
    }

    /// Registers `socket` for ``close()`` and `deinit`; false (and the socket, no one else's
    /// yet, closed) once the relay is closed.
    private func track(_ socket: Int32) -> Bool {
        let open = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.sockets.append(socket)
            return true
        }
        if !open { _ = Glibc.close(socket) }
        return open
    }

    private func connectUpstream() -> Int32 {
        let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard server >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(upstream.utf8CString)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.prefix(bytes.count - 1).enumerated() { bytes[index] = UInt8(bitPattern: byte) }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(server)
            return -1
        }
        return server
    }

    /// Copies `from` to `to` until either end closes; while silent, reads and drops.
    private func pump(from source: Int32, to destination: Int32?) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            guard let destination, !isSilent else { continue }
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes {
                    // MSG_NOSIGNAL: a peer gone is an error here, not SIGPIPE for the test process.
                    send(destination, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL))
                }
                guard written > 0 else { break }
                sent += written
            }
        }
        _ = shutdown(source, Int32(SHUT_RDWR))
        if let destination, !isSilent { _ = shutdown(destination, Int32(SHUT_RDWR)) }
    }
}
