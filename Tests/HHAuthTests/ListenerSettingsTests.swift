import FastCGI
import Foundation
import Testing

@testable import HHAuth

/// The settings of how the service listens and stops: `FCGI_WEB_SERVER_ADDRS`,
/// `SHUTDOWN_TIMEOUT_SECONDS`, and the retired `HH_CONNECT_TIMEOUT_SECONDS`.
@Suite("Listener and shutdown settings")
struct ListenerSettingsTests {
    private func parse(_ changes: [String: String]) throws(ConfigurationError) -> Configuration {
        try ConfigurationParser(settings: ConfigurationParserTests.minimal.merging(changes) { $1 }).parse()
    }

    @Test func tcpPeersAreLoopbackUnlessWebServerAddrsSaysOtherwise() throws {
        #expect(try parse([:]).webServerPeers == .loopback)
        let listed = try parse(["FCGI_WEB_SERVER_ADDRS": "10.0.0.5,10.0.0.6"]).webServerPeers
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

    /// The default outlasts the longest legitimate request: a callback's two HH calls plus the
    /// database's busy timeout, with margin; it follows `HH_TIMEOUT_SECONDS`.
    @Test func theStopBoundOutlastsTheLongestRequest() throws {
        #expect(try parse([:]).shutdownTimeoutSeconds == 40)
        #expect(try parse(["HH_TIMEOUT_SECONDS": "30"]).shutdownTimeoutSeconds == 70)
        #expect(try parse(["SHUTDOWN_TIMEOUT_SECONDS": "2.5"]).shutdownTimeoutSeconds == 2.5)
        #expect(throws: ConfigurationError.self) { try parse(["SHUTDOWN_TIMEOUT_SECONDS": "0"]) }
    }

    /// URLSession on Linux cannot honour a connect timeout, so the setting is gone; an operator who
    /// still sets it is told at start instead of trusting a bound that does not exist.
    @Test func theRetiredConnectTimeoutEarnsAWarning() throws {
        let settings = ConfigurationParserTests.minimal.merging(["HH_CONNECT_TIMEOUT_SECONDS": "3"]) { $1 }
        _ = try ConfigurationParser(settings: settings).parse()
        let warnings = ConfigurationParser(settings: settings).warnings()
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("HH_CONNECT_TIMEOUT_SECONDS: no longer read") == true)
        #expect(ConfigurationParser(settings: ConfigurationParserTests.minimal).warnings().isEmpty)
    }
}
