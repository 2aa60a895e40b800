import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// A ``FailedLoginThrottle`` on one engine: in memory on SQLite, on a PostgreSQL schema of its own
/// otherwise (kept alive with the throttle). ``node()`` is another node on the same state.
final class ThrottleFixture: Sendable {
    let schema: TestSchema?
    let limits: FailedLoginThrottle.Limits
    let throttle: FailedLoginThrottle

    init(_ kind: EngineKind, _ limits: FailedLoginThrottle.Limits) throws {
        self.limits = limits
        switch kind {
        case .sqlite:
            schema = nil
            throttle = FailedLoginThrottle(limits)
        case .postgresql:
            let schema = try TestSchema()
            self.schema = schema
            throttle = FailedLoginThrottle(limits, shared: try Self.shared(schema))
        }
    }

    convenience init(_ kind: EngineKind, maxFailures: Int, maxFailuresAllAddresses: Int, windowSeconds: Double) throws {
        try self.init(
            kind,
            FailedLoginThrottle.Limits(
                maxFailures: maxFailures, maxFailuresAllAddresses: maxFailuresAllAddresses,
                windowSeconds: windowSeconds))
    }

    /// Another node's throttle on the same tables, through an engine (and connection) of its own.
    func node() throws -> FailedLoginThrottle {
        FailedLoginThrottle(limits, shared: try Self.shared(try #require(schema)))
    }

    static func shared(_ schema: TestSchema) throws -> SharedNodeState {
        let engine = try PostgreSQLEngine(
            connectionString: schema.conninfo, stores: Fixtures.stores(clock: ManualClock()))
        return try #require(engine.sharedState)
    }
}

/// Issue 14: the admin lockout's state shared by the nodes (docs/scale-out.md, "Admin lockout
/// shared"): guesses spread over nodes count as on one, and the trusted-address rule holds
/// across them.
@Suite("Admin lockout shared across nodes")
struct SharedAdminLockoutTests {
    let now = 1_750_000_000.0

    @Test func failuresSpreadOverTwoNodesCapAnAddressAfterTheSameCount() throws {
        let fixture = try ThrottleFixture(.postgresql, maxFailures: 4, maxFailuresAllAddresses: 100, windowSeconds: 900)
        let nodes = [fixture.throttle, try fixture.node()]
        for index in 0..<3 { failOnce(nodes[index % 2], "198.51.100.7", at: now + Double(index)) }
        #expect(nodes[0].retryAfter(address: "198.51.100.7", now: now + 3) == nil)
        failOnce(nodes[1], "198.51.100.7", at: now + 3)
        // Both nodes refuse now, as one would after four failures.
        for node in nodes {
            #expect(node.admit(address: "198.51.100.7", now: now + 4) == .refused(retryAfter: 896))
            #expect(isAdmitted(node.admit(address: "203.0.113.5", now: now + 4)))
        }
    }

    @Test func theAccountGuardAndAFreshAddressesOneTryHoldAcrossNodes() throws {
        let fixture = try ThrottleFixture(.postgresql, maxFailures: 10, maxFailuresAllAddresses: 6, windowSeconds: 900)
        let nodes = [fixture.throttle, try fixture.node()]
        for index in 0..<6 { failOnce(nodes[index % 2], "10.0.\(index).1", at: now) }
        // Guarded everywhere: an address that failed on one node is refused on the other.
        #expect(!isAdmitted(nodes[1].admit(address: "10.0.0.1", now: now + 1)))
        // A fresh address's one try, spent on one node, is spent on both.
        failOnce(nodes[0], "10.9.9.9", at: now + 2)
        #expect(!isAdmitted(nodes[1].admit(address: "10.9.9.9", now: now + 3)))
        // A check under way on one node holds the address's try on the other.
        guard case .admitted(let ticket) = nodes[0].admit(address: "10.8.8.8", now: now + 4) else {
            Issue.record("a fresh address was refused")
            return
        }
        #expect(nodes[1].admit(address: "10.8.8.8", now: now + 4) == .refused(retryAfter: 1))
        nodes[0].settle(ticket, passwordWasRight: true, now: now + 4)
    }

    /// The admin verified at one address on one node; an attacker on the other node guards the
    /// account and keeps the checks' bucket empty: the admin's address still gets in there, a
    /// fresh one does not.
    @Test func anAttackerOnAnotherNodeCannotLockTheTrustedAdminOut() throws {
        var limits = FailedLoginThrottle.Limits(maxFailures: 10, maxFailuresAllAddresses: 5, windowSeconds: 900)
        limits.guardedChecksPerSecond = 1
        let fixture = try ThrottleFixture(.postgresql, limits)
        let nodes = [fixture.throttle, try fixture.node()]
        guard case .admitted(let admin) = nodes[0].admit(address: "192.0.2.44", now: now) else {
            Issue.record("the admin was refused")
            return
        }
        nodes[0].settle(admin, passwordWasRight: true, now: now)
        for index in 0..<5 { failOnce(nodes[1], "10.0.\(index).1", at: now + 1) }
        // Guarded; the bucket's one token goes to the first fresh address, the next waits.
        failOnce(nodes[1], "10.1.0.1", at: now + 2)
        #expect(!isAdmitted(nodes[1].admit(address: "10.1.0.2", now: now + 2)))
        #expect(!isAdmitted(nodes[0].admit(address: "10.1.0.3", now: now + 2)))
        // The admin's address skips the bucket, on the node where it never signed in too.
        #expect(isAdmitted(nodes[1].admit(address: "192.0.2.44", now: now + 2)))
    }
}
