import Foundation
import Testing

@testable import HHAuth

/// The settings of how the service stops: `SHUTDOWN_TIMEOUT_SECONDS`, and the retired
/// `HH_CONNECT_TIMEOUT_SECONDS` (where it listens is the executable's: HHAuthCommandTests).
@Suite("Listener and shutdown settings")
struct ListenerSettingsTests {
    private func parse(_ changes: [String: String]) throws(ConfigurationError) -> Configuration {
        try ConfigurationParser(settings: ConfigurationParserTests.minimal.merging(changes) { $1 }).parse()
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
