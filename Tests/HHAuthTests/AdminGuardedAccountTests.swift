import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing
import WorkerThreads

@testable import HHAuth

/// Issue 9, item 6, second review: while the account is guarded (past `maxFailuresAllAddresses`),
/// address rotation buys neither unbounded password hashing nor unbounded audit rows, an address
/// that failed gets a pause rather than a lock, and a signed-in admin's cached calls pass.
@Suite("Admin guarded account")
struct AdminGuardedAccountTests {
    /// An authenticator whose password check counts its calls (and can hold one in flight), on a
    /// manual clock; the admin's password is `admin`.
    final class Harness: Sendable {
        let store: TestDatabase
        let clock = ManualClock()
        let admin: AdminAuthenticator
        private let checks = Lock(0)
        let heldCheckStarted = DispatchSemaphore(value: 0)
        let releaseHeldCheck = DispatchSemaphore(value: 0)

        init(maxFailuresAllAddresses: Int = 5) throws {
            store = try TestDatabase()
            var settings = HHAuth.Configuration.Admin(username: "admin", passwordHash: PasswordHashTests.sha512Admin)
            settings.maxFailuresAllAddresses = maxFailuresAllAddresses
            let checks = checks
            let started = heldCheckStarted
            let release = releaseHeldCheck
            admin = AdminAuthenticator(
                settings: settings, storage: store.storage(clock: clock), clock: clock,
                passwordCheck: { password, _ in
                    checks.withLock { $0 += 1 }
                    if password == "held" {
                        started.signal()
                        release.wait()
                    }
                    return password == "admin"
                })
        }

        var passwordChecks: Int { checks.withLock { $0 } }

        func status(from address: String, password: String) -> Int {
            response(from: address, password: password).status
        }

        func response(from address: String, password: String) -> (status: Int, retryAfter: Int?) {
            do {
                _ = try admin.authenticate(
                    AdminCredentials(username: "admin", password: password),
                    origin: ClientOrigin(clientAddress: address))
                return (200, nil)
            } catch {
                guard let mapped = ErrorMapping.httpError(for: error) else { return (0, nil) }
                let retryAfter = mapped.headers.first { $0.name == "Retry-After" }.flatMap { Int($0.value) }
                return (mapped.status, retryAfter)
            }
        }

        /// Five wrong passwords from five IPv4 addresses: the account is guarded for 15 minutes.
        func guardTheAccount() {
            for index in 1...5 { _ = status(from: "10.0.0.\(index)", password: "guess") }
        }

        func failureRows() throws -> [[String: Any]] {
            try store.database.read { db in
                try String.fetchAll(
                    db, sql: "SELECT metadata FROM audit_events WHERE event_type = 'admin_auth_failed' ORDER BY id")
            }
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        }
    }

    @Test func rotatingSlash64sInsideOneSlash48GetOneTryPerPause() throws {
        let harness = try Harness()
        harness.guardTheAccount()
        let checksBefore = harness.passwordChecks
        // 10,000 different /64s of 2001:db8:7::/48 over 10 seconds.
        for index in 0..<10_000 {
            let address = "2001:db8:7:\(String(index, radix: 16))::1"
            let status = harness.status(from: address, password: "guess-\(index)")
            #expect(status == (index == 0 ? 401 : 429), "\(address)")
            if status != (index == 0 ? 401 : 429) { break }
            harness.clock.advance(seconds: 0.001)
        }
        #expect(harness.passwordChecks - checksBefore == 1)
        #expect(try harness.failureRows().count == 6)
    }

    @Test func rotationAcrossManyAddressesIsBoundedByTheVerificationBucketAndTheAuditSampler() throws {
        let harness = try Harness()
        harness.guardTheAccount()
        let checksBefore = harness.passwordChecks
        // Three minutes of 50 requests a second, each from a fresh IPv4 address.
        var statuses: [Int: Int] = [:]
        for index in 0..<9_000 {
            let answer = harness.response(
                from: "10.\(1 + index / 65_536).\(index / 256 % 256).\(index % 256)", password: "g")
            statuses[answer.status, default: 0] += 1
            if answer.status == 429 { #expect(answer.retryAfter == 1) }
            harness.clock.advance(seconds: 0.02)
        }
        let checks = harness.passwordChecks - checksBefore
        // At most 4 checks a second (plus the bucket's burst), not one per address.
        #expect(checks <= 4 * 180 + 4)
        #expect(checks >= 4 * 180 - 4)
        #expect(statuses[401] == checks && statuses[429] == 9_000 - checks)
        // At most 60 audit rows a minute (the three minutes touch at most four), carrying the
        // counts of the failures they stand for.
        let rows = try harness.failureRows()
        #expect(rows.count <= 5 + 4 * 60)
        let unrecorded = rows.compactMap { $0["unrecorded_others"] as? Int }.reduce(0, +)
        #expect(unrecorded > 0)
        #expect(rows.count - 5 + unrecorded <= checks)
        // Only the last minute's unrecorded ones wait for a next row.
        #expect(rows.count - 5 + unrecorded >= checks - 4 * 60)
    }

    @Test func whileGuardedTheAdminsFailedAddressGetsInWithTheRightPasswordAfterAPause() throws {
        let harness = try Harness()
        harness.guardTheAccount()
        let office = "192.0.2.44"
        // A typo from the admin's own address (or an attacker behind the same NAT)…
        #expect(harness.status(from: office, password: "admni") == 401)
        // …pauses that address, it does not lock it out for the whole guard.
        let paused = harness.response(from: office, password: "admin")
        #expect(paused.status == 429)
        #expect(paused.retryAfter.map { (1...60).contains($0) } == true)
        // The attacker keeps the account guarded meanwhile, from fresh addresses.
        for index in 1...50 {
            harness.clock.advance(seconds: 1)
            _ = harness.status(from: "10.1.\(index).1", password: "guess")
        }
        #expect(harness.status(from: office, password: "admin") == 429)
        harness.clock.advance(seconds: 10)
        #expect(harness.status(from: office, password: "admin") == 200)
        // A second failing address gets one guess per pause, not more.
        #expect(harness.status(from: "10.0.0.1", password: "again") == 401)
        #expect(harness.status(from: "10.0.0.1", password: "again2") == 429)
        harness.clock.advance(seconds: 60)
        #expect(harness.status(from: "10.0.0.1", password: "again3") == 401)
    }

    @Test func whileGuardedParallelCachedCallsPassDuringACheckFromTheSameAddress() throws {
        let harness = try Harness()
        harness.guardTheAccount()
        let office = "192.0.2.44"
        #expect(harness.status(from: office, password: "admin") == 200)
        let checksAfterSignIn = harness.passwordChecks
        // A wrong password from the same address is being checked (held in flight)…
        let heldStatus = Lock(0)
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let status = harness.status(from: office, password: "held")
            heldStatus.withLock { $0 = status }
            finished.signal()
        }
        #expect(harness.heldCheckStarted.wait(timeout: .now() + 10) == .success)
        // …while parallel calls with the cached right password all pass, without a check each.
        let statuses = Lock([Int]())
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let status = harness.status(from: office, password: "admin")
            statuses.withLock { $0.append(status) }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 16))
        harness.releaseHeldCheck.signal()
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(heldStatus.withLock { $0 } == 401)
        #expect(harness.passwordChecks == checksAfterSignIn + 1)
        // Only right credentials are cached: the wrong one is refused, not let in, and not checked again.
        #expect(harness.status(from: office, password: "held") == 429)
        #expect(harness.passwordChecks == checksAfterSignIn + 1)
        // The cache is the address's own: the right password from a paused address is not a hit.
        #expect(harness.status(from: "10.0.0.1", password: "admin") == 429)
        #expect(harness.status(from: office, password: "admin") == 200)
    }

    @Test func anEmptyBucketRefusesUnknownAddressesButNotOneTheAdminSignedInFrom() throws {
        let harness = try Harness()
        harness.guardTheAccount()
        // The admin signed in from home once; then its cache entry expires.
        #expect(harness.status(from: "2001:db8:aa:1::5", password: "admin") == 200)
        harness.clock.advance(seconds: 61)
        // A flood from fresh addresses empties the bucket…
        for index in 0..<20 { _ = harness.status(from: "10.2.0.\(index)", password: "guess") }
        let unknown = harness.response(from: "198.51.100.9", password: "admin")
        #expect(unknown.status == 429 && unknown.retryAfter == 1)
        // …but the admin's own address (any /64 of its /48) is not held up by it.
        #expect(harness.status(from: "2001:db8:aa:2::7", password: "admin") == 200)
    }
}
