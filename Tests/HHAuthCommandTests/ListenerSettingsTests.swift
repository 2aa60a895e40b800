import FastCGI
import HHAuth
import Testing

@testable import hh_auth

/// Where `hh-auth serve` listens and whom it lets in: `FCGI_SOCKET` and `FCGI_WEB_SERVER_ADDRS`,
/// read by the executable (``ListenerSettings``) through the same ``ConfigurationParser``.
@Suite("Listener settings")
struct ListenerSettingsTests {
    private func parser(_ changes: [String: String]) -> ConfigurationParser {
        ConfigurationParser(settings: changes)
    }

    private func parse(_ changes: [String: String]) throws(ConfigurationError) -> ListenerSettings {
        try ListenerSettings(parser(changes))
    }

    /// Unset, the socket is systemd's fd 0; a path is a unix socket (moved from
    /// ConfigurationParserTests' defaults and explicit values).
    @Test func theSocketIsSystemdsUnlessFCGISocketNamesOne() throws {
        #expect(try parse([:]).address == nil)
        #expect(
            try parse(["FCGI_SOCKET": "/run/hh-auth/fcgi.sock"]).address == .unixSocket(path: "/run/hh-auth/fcgi.sock"))
    }

    /// Moved from ConfigurationParserTests' `malformedSettingIsNamed`.
    @Test(arguments: ["localhost", ":9000", "host:0", "host:70000"])
    func aMalformedSocketIsNamed(value: String) throws {
        do {
            _ = try parse(["FCGI_SOCKET": value])
            Issue.record("FCGI_SOCKET=\(value) was accepted")
        } catch {
            #expect(error.setting == "FCGI_SOCKET")
            #expect(error.description.hasPrefix("FCGI_SOCKET: "))
        }
    }

    @Test func tcpPeersAreLoopbackUnlessWebServerAddrsSaysOtherwise() throws {
        #expect(try parse([:]).peers == .loopback)
        let listed = try parse(["FCGI_WEB_SERVER_ADDRS": "10.0.0.5,10.0.0.6"]).peers
        #expect(listed == PeerPolicy(webServerAddresses: "10.0.0.5,10.0.0.6"))
        #expect(listed != .loopback)
    }

    @Test func aMalformedWebServerAddrsStopsStartUp() {
        #expect(throws: ConfigurationError.self) { try parse(["FCGI_WEB_SERVER_ADDRS": "10.0.0.5, nginx"]) }
        do {
            _ = try parse(["FCGI_WEB_SERVER_ADDRS": "*"])
        } catch {
            #expect(error.setting == "FCGI_WEB_SERVER_ADDRS")
        }
    }

    /// Moved from OperatorSettingsTests: a peer list means nothing to a unix socket.
    @Test func aUnixSocketWebServerListEarnsAWarning() {
        let warnings = ListenerSettings.warnings(
            parser(["FCGI_SOCKET": "/run/hh-auth/fcgi.sock", "FCGI_WEB_SERVER_ADDRS": "127.0.0.1"]))
        #expect(warnings.contains { $0.hasPrefix("FCGI_WEB_SERVER_ADDRS: not used with a unix socket") })
        #expect(
            ListenerSettings.warnings(parser(["FCGI_SOCKET": "127.0.0.1:9000", "FCGI_WEB_SERVER_ADDRS": "127.0.0.1"]))
                .isEmpty)
    }
}
