import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// With `FCGI_SOCKET=host:port`, whoever connects sets `REMOTE_ADDR`: only loopback peers, or the
/// addresses in `FCGI_WEB_SERVER_ADDRS`, may speak FastCGI to the service. (This network is
/// loopback only; 127.0.0.2 stands in for another host.)
@Suite("FastCGI over TCP: allowed peers")
struct FastCGIPeerTests {
    @Test func aLoopbackPeerIsServedByDefault() throws {
        let service = try TCPService(environment: [:])
        let client = try FastCGIWireClient(tcpPort: service.port, sourceAddress: "127.0.0.1")
        #expect(try client.get("/health").status == 200)
    }

    @Test func aPeerNotInWebServerAddrsIsRefused() throws {
        let service = try TCPService(environment: ["FCGI_WEB_SERVER_ADDRS": "127.0.0.2"])
        let stranger = try FastCGIWireClient(tcpPort: service.port, sourceAddress: "127.0.0.1")
        let refused = try stranger.get("/health")
        #expect(refused.status == nil, "answered a peer not on the list: \(refused.output.prefix(200))")
        try service.waitForLog("refused a FastCGI connection")
        #expect(service.process.log.contains("peer=127.0.0.1"), "\(service.process.log)")

        let webServer = try FastCGIWireClient(tcpPort: service.port, sourceAddress: "127.0.0.2")
        #expect(try webServer.get("/health").status == 200)
    }

    @Test func aMalformedAddressListStopsStartUp() throws {
        let directory = NSTemporaryDirectory() + "hhpeer-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try runCommand(
            TestStack.binaries + "/hh-auth", ["serve"],
            environment: TCPService.environment(directory: directory, port: 1).merging([
                "FCGI_WEB_SERVER_ADDRS": "10.0.0.1, nginx"
            ]) { $1 })
        #expect(result.status == 2)
        #expect(result.output.contains("FCGI_WEB_SERVER_ADDRS"), "\(result.output)")
    }
}

/// The service alone, listening on 127.0.0.1:<free port>, with no nginx in front.
private final class TCPService {
    let port: UInt16
    let process: ManagedProcess

    init(environment: [String: String]) throws {
        let directory = NSTemporaryDirectory() + "hhpeer-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try FreePorts.take(1)[0]
        process = try ManagedProcess(
            name: "hh-auth", executable: TestStack.binaries + "/hh-auth", arguments: ["serve"],
            environment: Self.environment(directory: directory, port: port).merging(environment) { $1 },
            logPath: directory + "/hh-auth.log")
        try waitFor("the service to listen on \(port)") {
            (try? RawHTTPClient(port: port).connectSocket()).map { close($0) } != nil
        }
    }

    deinit { process.stop() }

    static func environment(directory: String, port: UInt16) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HH_CLIENT_ID": TestStack.clientID, "HH_CLIENT_SECRET": TestStack.clientSecret,
            "HH_REDIRECT_URI": "http://127.0.0.1/auth/callback", "ENCRYPTION_KEY": TestStack.testKey,
            "ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": TestStack.adminHash,
            "DATABASE_PATH": directory + "/hh-auth.sqlite3",
            "FCGI_SOCKET": "127.0.0.1:\(port)", "WORKER_THREADS": "4", "LOG_LEVEL": "info",
        ]
    }

    func waitForLog(_ text: String) throws {
        try waitFor("'\(text)' in the service log") { process.log.contains(text) }
    }

    private func waitFor(_ what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if condition() { return }
            if !process.isRunning { throw HarnessError("hh-auth exited: \(process.log)") }
            usleep(20_000)
        }
        throw HarnessError("timed out waiting for \(what): \(process.log)")
    }
}
