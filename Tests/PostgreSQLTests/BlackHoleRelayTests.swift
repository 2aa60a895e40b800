import Foundation
import PostgreSQL
import Testing

@testable import PostgreSQLTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// ``BlackHoleRelay`` touches no descriptor but its own. Closed twice (as tests do: `close()`,
/// then their `defer`) and let go, it must not shut down a socket the process opened after the
/// first close: it once did (its accept thread closed the listener, then the second `close()` and
/// `deinit` shut the number down again), and another test's connect that had just been given the
/// number read "server closed the connection unexpectedly".
@Suite("BlackHoleRelay: the descriptors it gives up")
struct BlackHoleRelayTests {
    @Test func aClosedRelayLeavesConnectionsOpenedAfterItAlone() throws {
        let conninfo = try TestCluster.database("relay")
        weak var released: BlackHoleRelay?
        var bystanders: [PGConnection] = []
        defer { bystanders.forEach { $0.close() } }
        do {
            let relay = try BlackHoleRelay(forwardingTo: conninfo)
            released = relay
            let through = try PGConnection(relay.conninfo)
            defer { through.close() }
            #expect(try through.execute("SELECT 1")[0].int64(0) == 1)
            relay.close()
            // Their sockets take the lowest free numbers: the relay's, had it given them up.
            bystanders = try (0..<4).map { _ in try PGConnection(conninfo) }
            #expect(fcntl(relay.listener, F_GETFD) != -1, "the relay closed its listener while it could still use it")
            relay.close()
        }
        // The relay ends with its threads (each holds it), which end with its connections.
        let deadline = ContinuousClock.now + .seconds(10)
        while released != nil, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(released == nil, "the relay's threads did not end after close()")
        for bystander in bystanders {
            #expect(try bystander.execute("SELECT 1")[0].int64(0) == 1)
        }
    }
}
