import Foundation
import HHAuth
import Testing

@testable import hh_auth

#if canImport(Glibc)
    import Glibc
#endif

/// Whether something listens on a unix socket, from the kernel's table rather than a connection
/// (which the user doctor runs as may not be allowed to make).
@Suite("Doctor: listening unix sockets")
struct ListeningUnixSocketsTests {
    @Test func onlyListeningSocketsWithAPathCount() {
        let table = """
            Num       RefCount Protocol Flags    Type St Inode Path
            0000000000000000: 00000002 00000000 00010000 0001 01 20521 /run/hh-auth/fcgi.sock
            0000000000000000: 00000003 00000000 00000000 0001 03 20999 /run/hh-auth/fcgi.sock
            0000000000000000: 00000002 00000000 00000000 0001 01 20522 /tmp/stale.sock
            0000000000000000: 00000002 00000000 00010000 0001 01 20523 /tmp/with space.sock
            0000000000000000: 00000002 00000000 00010000 0001 01 20524 @abstract
            0000000000000000: 00000002 00000000 00010000 0001 01 20525
            0000000000000000: 00000002 00000000 00000000 0002 07 20526 /run/systemd/notify
            """
        #expect(
            ListeningUnixSockets(table: table).paths == ["/run/hh-auth/fcgi.sock", "/tmp/with space.sock", "@abstract"])
        #expect(ListeningUnixSockets(table: "").paths.isEmpty)
    }

    @Test func theKernelsTableShowsAListenerUntilItCloses() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hh-sock-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/fcgi.sock"
        let check = SocketCheck(
            listener: try ListenerSettings(ConfigurationParser(settings: ["FCGI_SOCKET": path])),
            systemdSocket: "/unused", nginxUser: "root")

        let fd = try Self.listen(at: path)
        #expect(try ListeningUnixSockets.read().paths.contains(path))
        let listening = check.run()
        #expect(listening.passed, "\(listening.line)")
        #expect(listening.line.hasSuffix("; something listens on it"), "\(listening.line)")

        close(fd)
        #expect(FileManager.default.fileExists(atPath: path), "the file outlives its listener")
        #expect(try !ListeningUnixSockets.read().paths.contains(path))
        let stale = check.run()
        #expect(stale.line.hasPrefix("FAIL socket: root may connect to \(path)"), "\(stale.line)")
        #expect(stale.line.contains("but nothing listens on it — systemctl status"), "\(stale.line)")

        var unreadable = check
        unreadable.socketTable = directory + "/no-such-table"
        let unknown = unreadable.run()
        #expect(
            unknown.line.contains("whether something listens on it is unknown: cannot read \(directory)/no-such-table"))
        #expect(!unknown.passed)
    }

    /// A unix socket listening at `path`, as `serve` or systemd makes one; the caller closes it.
    private static func listen(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        return fd
    }
}
