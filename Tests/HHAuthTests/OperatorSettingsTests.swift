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

    /// RATE_LIMITS takes the on/off words every such setting takes (``ConfigurationParser/boolean(_:)``);
    /// a typo stops start-up naming it rather than meaning one or the other.
    @Test(arguments: ["of", "onn", "disabled", "2", "", " off"])
    func anUnknownRateLimitsValueStopsStartUp(value: String) throws {
        guard !value.isEmpty else {
            // Empty is unset: the limits stay on.
            #expect(try parser(["RATE_LIMITS": value]).parse().rateLimitPerHour == 1000)
            return
        }
        #expect {
            _ = try parser(["RATE_LIMITS": value]).parse()
        } throws: { error in
            (error as? ConfigurationError)?.setting == "RATE_LIMITS"
        }
    }

    @Test func rateLimitsOffIsAcceptedAndSaidAtStart() throws {
        for off in ["OFF", "off", "false", "no", "0"] {
            #expect(try parser(["RATE_LIMITS": off]).parse().rateLimitPerHour == 0)
            #expect(try parser(["RATE_LIMITS": off]).parse().signInsPerClientPerMinute == 0)
            #expect(parser(["RATE_LIMITS": off]).warnings().contains { $0.hasPrefix("RATE_LIMITS: off") })
        }
        for on in ["on", "ON", "true", "yes", "1"] {
            #expect(try parser(["RATE_LIMITS": on]).parse().rateLimitPerHour == 1000)
            #expect(parser(["RATE_LIMITS": on]).warnings().isEmpty)
        }
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
