import Foundation
import Testing

@testable import HHAuth

/// What bounds a call whose TCP connect never completes. The network here is loopback only, so a
/// blackholed address is simulated by a listening socket whose accept queue is full and that never
/// accepts: Linux then drops the SYNs of further connects, which hang as they would towards an
/// unreachable host.
@Suite("URLSessionTransport")
struct URLSessionTransportTests {
    @Test func aConnectThatNeverCompletesEndsAtTheRequestTimeout() throws {
        let blackhole = try FullBacklogListener()
        defer { blackhole.close() }
        let transport = URLSessionTransport(requestTimeout: 1)
        let started = Date()
        #expect(throws: HHTransportError.self) {
            _ = try transport.send(
                HHHTTPRequest(method: "GET", url: "http://127.0.0.1:\(blackhole.port)/me", headers: [:], body: []))
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed > 0.9 && elapsed < 3, "the call took \(elapsed) s with a 1-s deadline")
    }
}

/// A loopback listener with backlog 0 whose queue the test fills with connections nobody accepts.
private struct FullBacklogListener {
    let descriptor: Int32
    let port: UInt16
    private var fillers: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        descriptor = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound, listen(listener, 0) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = UInt16(bigEndian: address.sin_port)
        // Connect until one does not complete: from then on the queue is full and SYNs are dropped.
        for _ in 0..<16 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            fillers.append(filler)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            var poller = pollfd(fd: filler, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, 300) == 0 { return }
        }
        throw POSIXError(.EAGAIN)
    }

    func close() {
        fillers.forEach { _ = Glibc.close($0) }
        _ = Glibc.close(descriptor)
    }
}
