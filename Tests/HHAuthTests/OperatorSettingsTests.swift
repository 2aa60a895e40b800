import Foundation
import Testing

@testable import HHAuth

/// Settings an operator types on the production box: a typo must not silently mean something
/// else, an upgrade must not stop the service over a value that used to be fine, and a setting
/// that weakens the service is said out loud at start.
@Suite("Operator settings")
struct OperatorSettingsTests {
    private func parser(_ changes: [String: String]) -> ConfigurationParser {
        ConfigurationParser(settings: ConfigurationParserTests.minimal.merging(changes) { $1 })
    }

    /// Anything but `off` always meant on: an upgrade keeps it so (no refusal), and says so.
    @Test(arguments: ["0", "false", "no", "of"])
    func anUnknownRateLimitsValueKeepsTheLimitsOnAndSaysSo(value: String) throws {
        let configuration = try parser(["RATE_LIMITS": value]).parse()
        #expect(configuration.rateLimitPerHour == 1000)
        #expect(configuration.signInsPerClientPerMinute == 30)
        #expect(
            parser(["RATE_LIMITS": value]).warnings().contains { $0.contains("neither on nor off; the limits stay on") }
        )
    }

    @Test func rateLimitsOffIsAcceptedAndSaidAtStart() throws {
        #expect(try parser(["RATE_LIMITS": "OFF"]).parse().rateLimitPerHour == 0)
        #expect(try parser(["RATE_LIMITS": "off"]).parse().signInsPerClientPerMinute == 0)
        #expect(try parser(["RATE_LIMITS": "on"]).parse().rateLimitPerHour == 1000)
        #expect(parser(["RATE_LIMITS": "off"]).warnings().contains { $0.hasPrefix("RATE_LIMITS: off") })
    }

    @Test func anAdminFailureLimitAboveTheNewCeilingIsCappedNotFatal() throws {
        #expect(try parser(["ADMIN_MAX_FAILURES": "5000"]).parse().admin.maxFailures == 1000)
        #expect(parser(["ADMIN_MAX_FAILURES": "5000"]).warnings().contains { $0.hasPrefix("ADMIN_MAX_FAILURES: 5000") })
        #expect(try parser(["ADMIN_MAX_FAILURES": "7"]).parse().admin.maxFailures == 7)
        #expect(parser(["ADMIN_MAX_FAILURES": "7"]).warnings().isEmpty)
    }

    /// (The warning for a web-server list with a unix socket is the executable's: HHAuthCommandTests.)
    @Test func retiredLoginStateBudgetsEarnWarnings() {
        let warnings = parser(["LOGIN_STATES_PER_ADDRESS": "30", "LOGIN_STATES_OVERALL": "3000"]).warnings()
        #expect(warnings.contains { $0.hasPrefix("LOGIN_STATES_PER_ADDRESS: no longer read") })
        #expect(warnings.contains { $0.hasPrefix("LOGIN_STATES_OVERALL: no longer read") })
    }
}
