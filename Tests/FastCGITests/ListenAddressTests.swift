import FastCGI
import Testing

@Suite("ListenAddress(parsing:)")
struct ListenAddressTests {
    @Test(arguments: ["/run/hh-auth/fcgi.sock", "./relative/socket", "/tmp/a:9000"])
    func anythingWithASlashIsAUnixSocket(text: String) {
        #expect(ListenAddress(parsing: text) == .unixSocket(path: text))
    }

    @Test func hostAndPortIsTCP() {
        #expect(ListenAddress(parsing: "127.0.0.1:9000") == .tcp(host: "127.0.0.1", port: 9000))
        #expect(ListenAddress(parsing: "localhost:65535") == .tcp(host: "localhost", port: 65535))
        #expect(ListenAddress(parsing: "[::1]:9000") == .tcp(host: "[::1]", port: 9000))
        #expect(ListenAddress(parsing: "localhost:9000")?.description == "localhost:9000")
        #expect(ListenAddress(parsing: "/run/x.sock")?.description == "unix:/run/x.sock")
    }

    @Test(arguments: [
        "", "localhost", "localhost:", ":9000", "host:0", "host:65536", "host:-1", "host:abc", "host:90 00",
    ])
    func garbageIsRefused(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}
