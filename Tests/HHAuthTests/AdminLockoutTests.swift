import Foundation
import HTTPCore
import Testing

@testable import HHAuth

/// Issue 9, item 6: brute force against the admin stays capped, per address and across addresses,
/// but no one can lock the admin out. The rules' tests run on the state in memory (SQLite) and in
/// PostgreSQL's tables (issue 14).
@Suite("Admin login throttle")
struct AdminLockoutTests {
    let now = 1_750_000_000.0

    @Test(arguments: EngineKind.allCases) func anAddressIsCappedButAnotherAddressStillGetsIn(_ kind: EngineKind) throws
    {
        let fixture = try ThrottleFixture(kind, maxFailures: 10, maxFailuresAllAddresses: 100, windowSeconds: 900)
        let throttle = fixture.throttle
        for index in 0..<10 { failOnce(throttle, "198.51.100.7", at: now + Double(index)) }
        // The failing address is refused even before it presents a password, until its oldest
        // failure leaves the window.
        #expect(throttle.admit(address: "198.51.100.7", now: now + 10) == .refused(retryAfter: 890))
        #expect(throttle.retryAfter(address: "198.51.100.7", now: now + 10) == 890)
        #expect(throttle.retryAfter(address: "198.51.100.7", now: now + 900.5) == nil)
        // Any other address is not.
        #expect(throttle.retryAfter(address: "203.0.113.5", now: now + 10) == nil)
        #expect(isAdmitted(throttle.admit(address: "203.0.113.5", now: now + 10)))
    }

    @Test(arguments: EngineKind.allCases) func aDistributedAttackGetsOneTryPerFreshAddressAndTheAdminStillGetsIn(
        _ kind: EngineKind
    ) throws {
        let fixture = try ThrottleFixture(kind, maxFailures: 10, maxFailuresAllAddresses: 100, windowSeconds: 900)
        let throttle = fixture.throttle
        // 20 addresses, 5 failures each: the account-wide cap is reached.
        for address in 0..<20 {
            for attempt in 0..<5 { failOnce(throttle, "10.0.\(address).1", at: now + Double(attempt)) }
        }
        // Guarded: every address that failed is refused, though it is far from its own cap…
        for address in 0..<20 {
            guard case .refused(let wait) = throttle.admit(address: "10.0.\(address).1", now: now + 10) else {
                Issue.record("10.0.\(address).1 was admitted")
                continue
            }
            #expect(wait >= 1 && wait <= 900)
        }
        // …a fresh address gets one try: wrong, and it is refused too…
        failOnce(throttle, "10.1.0.1", at: now + 10)
        #expect(!isAdmitted(throttle.admit(address: "10.1.0.1", now: now + 11)))
        // …and the admin at a fresh address with the right password gets in, and stays in.
        guard case .admitted(let ticket) = throttle.admit(address: "192.0.2.44", now: now + 12) else {
            Issue.record("the admin's clean address was refused")
            return
        }
        throttle.settle(ticket, passwordWasRight: true, now: now + 12)
        #expect(isAdmitted(throttle.admit(address: "192.0.2.44", now: now + 13)))
        // The guard lifts when the account's oldest failures leave the window.
        #expect(throttle.retryAfter(address: "10.0.3.1", now: now + 905) == nil)
    }

    @Test(arguments: EngineKind.allCases) func parallelChecksFromOneFreshAddressShareItsOneTryWhileGuarded(
        _ kind: EngineKind
    ) throws {
        let fixture = try ThrottleFixture(kind, maxFailures: 10, maxFailuresAllAddresses: 3, windowSeconds: 900)
        let throttle = fixture.throttle
        for index in 0..<3 { failOnce(throttle, "10.0.0.\(index)", at: now) }
        guard case .admitted(let first) = throttle.admit(address: "10.9.9.9", now: now + 1) else {
            Issue.record("fresh address refused")
            return
        }
        // A second check from the same address while the first is under way is refused.
        #expect(throttle.admit(address: "10.9.9.9", now: now + 1) == .refused(retryAfter: 1))
        throttle.settle(first, passwordWasRight: true, now: now + 1)
        // The right password cleared it: the next request is admitted again.
        #expect(isAdmitted(throttle.admit(address: "10.9.9.9", now: now + 2)))
    }

    @Test(arguments: EngineKind.allCases) func anIPv6Slash64CountsAsOneAddress(_ kind: EngineKind) throws {
        let fixture = try ThrottleFixture(kind, maxFailures: 3, maxFailuresAllAddresses: 100, windowSeconds: 900)
        let throttle = fixture.throttle
        for index in 1...3 { failOnce(throttle, "2001:db8:1:2::\(index)", at: now) }
        #expect(throttle.retryAfter(address: "2001:db8:1:2:ffff:ffff:ffff:ffff", now: now + 1) != nil)
        #expect(throttle.retryAfter(address: "2001:db8:1:3::1", now: now + 1) == nil)
        #expect(AddressBlock.key(for: "2001:DB8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(AddressBlock.key(for: "::ffff:192.0.2.1") == "192.0.2.1")
        #expect(AddressBlock.key(for: "192.0.2.1") == "192.0.2.1")
        #expect(AddressBlock.key(for: "") == "")
        // While guarded, a whole /48 is one address.
        #expect(AddressBlock.guardKey(for: "2001:DB8:1:2:aaaa::1") == "2001:db8:1::/48")
        #expect(AddressBlock.guardKey(for: "2001:db8:1:ffff::1") == "2001:db8:1::/48")
        #expect(AddressBlock.guardKey(for: "::ffff:192.0.2.1") == "192.0.2.1")
        #expect(AddressBlock.guardKey(for: "192.0.2.1") == "192.0.2.1")
    }

    @Test func memoryStaysBoundedAgainstAddressRotation() throws {
        var limits = FailedLoginThrottle.Limits(maxFailures: 10, maxFailuresAllAddresses: 1_000, windowSeconds: 900)
        limits.maxAddresses = 1_000
        // Each address gets its one check here; the bucket on checks is another test's subject.
        limits.guardedChecksPerSecond = 10_000
        let throttle = FailedLoginThrottle(limits)
        for index in 0..<100_000 {
            failOnce(
                throttle, "10.\(index / 65536 % 256).\(index / 256 % 256).\(index % 256)",
                at: now + Double(index) / 1000)
            #expect(throttle.trackedAddresses <= 1_000)
        }
        // Forgetting never locks anyone out: a fresh address is still admitted.
        #expect(throttle.retryAfter(address: "192.0.2.44", now: now + 101) == nil)
        #expect(throttle.trackedAddresses >= 500)
    }

    @Test(arguments: EngineKind.allCases) func rightPasswordClearsTheAddressAndFailuresOutsideTheWindowDoNotCount(
        _ kind: EngineKind
    ) throws {
        let fixture = try ThrottleFixture(kind, maxFailures: 3, maxFailuresAllAddresses: 100, windowSeconds: 60)
        let throttle = fixture.throttle
        failOnce(throttle, "10.0.0.1", at: now)
        failOnce(throttle, "10.0.0.1", at: now + 1)
        guard case .admitted(let ticket) = throttle.admit(address: "10.0.0.1", now: now + 2) else { return }
        throttle.settle(ticket, passwordWasRight: true, now: now + 2)
        failOnce(throttle, "10.0.0.1", at: now + 3)
        failOnce(throttle, "10.0.0.1", at: now + 4)
        #expect(throttle.retryAfter(address: "10.0.0.1", now: now + 5) == nil)
        failOnce(throttle, "10.0.0.1", at: now + 70)
        #expect(throttle.retryAfter(address: "10.0.0.1", now: now + 71) == nil)
    }

    @Test func theLimitsAreSettings() throws {
        let defaults = try ConfigurationParser(settings: ConfigurationParserTests.minimal).parse().admin
        #expect(
            defaults.maxFailures == 10 && defaults.maxFailuresAllAddresses == 100
                && defaults.failureWindowSeconds == 900)
        let settings = ConfigurationParserTests.minimal.merging([
            "ADMIN_MAX_FAILURES": "5", "ADMIN_MAX_FAILURES_ALL_ADDRESSES": "40",
        ]) { $1 }
        let admin = try ConfigurationParser(settings: settings).parse().admin
        #expect(admin.maxFailures == 5 && admin.maxFailuresAllAddresses == 40)
        #expect(defaults.guardedRetrySeconds == 60 && defaults.guardedChecksPerSecond == 4)
        let guarded = try ConfigurationParser(
            settings: ConfigurationParserTests.minimal.merging([
                "ADMIN_GUARDED_RETRY_SECONDS": "30", "ADMIN_GUARDED_CHECKS_PER_SECOND": "0.5",
            ]) { $1 }
        ).parse().admin
        #expect(guarded.guardedRetrySeconds == 30 && guarded.guardedChecksPerSecond == 0.5)
        for (name, value) in [
            ("ADMIN_MAX_FAILURES_ALL_ADDRESSES", "0"), ("ADMIN_MAX_FAILURES_ALL_ADDRESSES", "100001"),
            ("ADMIN_MAX_FAILURES", "1000001"), ("ADMIN_GUARDED_RETRY_SECONDS", "0"),
            ("ADMIN_GUARDED_CHECKS_PER_SECOND", "0"), ("ADMIN_GUARDED_CHECKS_PER_SECOND", "many"),
        ] {
            #expect(throws: ConfigurationError.self) {
                try ConfigurationParser(settings: ConfigurationParserTests.minimal.merging([name: value]) { $1 })
                    .parse()
            }
        }
    }

    // MARK: - Through the authenticator

    /// On PostgreSQL the authenticator's throttle keeps its state in the engine's tables.
    private func authenticator(_ kind: EngineKind, maxFailures: Int, allAddresses: Int) throws -> (
        AdminAuthenticator, TestStorage
    ) {
        let clock = ManualClock()
        let store = try TestStorage(kind, clock: clock)
        var settings = HHAuth.Configuration.Admin(username: "admin", passwordHash: PasswordHashTests.sha512Admin)
        settings.maxFailures = maxFailures
        settings.maxFailuresAllAddresses = allAddresses
        return (AdminAuthenticator(settings: settings, storage: store.engine, clock: clock), store)
    }

    /// The status the admin API would answer an attempt with (200 when it passes).
    private func status(
        _ admin: AdminAuthenticator, from address: String, password: String, username: String = "admin"
    ) -> Int {
        do {
            _ = try admin.authenticate(
                AdminCredentials(username: username, password: password), origin: ClientOrigin(clientAddress: address))
            return 200
        } catch {
            return ErrorMapping.httpError(for: error)?.status ?? 0
        }
    }

    @Test(arguments: EngineKind.allCases)
    func tenWrongPasswordsFromOneAddressDoNotLockTheAdminOutElsewhere(_ kind: EngineKind) throws {
        let (admin, store) = try authenticator(kind, maxFailures: 10, allAddresses: 100)
        defer { withExtendedLifetime(store) {} }
        for _ in 0..<10 {
            #expect(status(admin, from: "198.51.100.7", password: "guess") == 401)
        }
        #expect(status(admin, from: "198.51.100.7", password: "admin") == 429)
        #expect(status(admin, from: "198.51.100.8", password: "admin") == 200)
    }

    @Test(arguments: EngineKind.allCases)
    func whileGuardedAFailingAddressIsRefusedWhateverUsernameItTries(_ kind: EngineKind) throws {
        let (admin, store) = try authenticator(kind, maxFailures: 10, allAddresses: 4)
        defer { withExtendedLifetime(store) {} }
        for address in ["10.0.0.1", "10.0.0.2"] {
            for name in ["admin", "root"] {
                #expect(status(admin, from: address, password: "x", username: name) == 401)
            }
        }
        // The refusal does not depend on the username: it tells nothing about which name is real.
        #expect(status(admin, from: "10.0.0.1", password: "admin") == 429)
        #expect(status(admin, from: "10.0.0.1", password: "x", username: "root") == 429)
        #expect(status(admin, from: "10.0.0.3", password: "x", username: "root") == 401)
        #expect(status(admin, from: "10.0.0.3", password: "admin") == 429)
        #expect(status(admin, from: "10.0.0.4", password: "admin") == 200)
    }
}
