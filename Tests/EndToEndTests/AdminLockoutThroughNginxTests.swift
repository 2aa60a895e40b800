import Foundation
import Testing

/// Issue 9, item 6: wrong admin passwords stay capped per address and across addresses, but no
/// one can lock the admin out. Clients connect from different loopback addresses (127.0.0.x), so
/// nginx passes each its own `REMOTE_ADDR`.
@Suite("Admin lockout through nginx")
struct AdminLockoutThroughNginxTests {
    private func admin(_ stack: TestStack, from address: String, password: String, username: String = "admin") throws
        -> WireResponse
    {
        try RawHTTPClient(port: stack.httpPort, sourceAddress: address)
            .get("/admin/users", headers: ["Authorization": AdminClient.basic(username, password)])
    }

    @Test func tenWrongPasswordsFromOneAddressDoNotLockTheAdminOutFromAnother() throws {
        let stack = try TestStack()
        for attempt in 1...10 {
            #expect(
                try admin(stack, from: "127.0.0.1", password: "guess-\(attempt)").status == 401, "attempt \(attempt)")
        }
        // That address is capped, even with the right password…
        let capped = try admin(stack, from: "127.0.0.1", password: "admin-password")
        #expect(capped.status == 429)
        #expect(capped.detail == "Too many failed login attempts, try again later")
        #expect(capped.headers["retry-after"].flatMap(Int.init).map { (1...900).contains($0) } == true)
        // …but the admin at another address gets in.
        let elsewhere = try admin(stack, from: "127.0.0.2", password: "admin-password")
        #expect(elsewhere.status == 200, "\(elsewhere.status) \(elsewhere.text)")
        #expect(try elsewhere.json()["total"] as? Int == 1)
        let failures = try RawHTTPClient(port: stack.httpPort, sourceAddress: "127.0.0.2").get(
            "/admin/audit-log?event_type=admin_auth_failed",
            headers: ["Authorization": AdminClient.basic("admin", "admin-password")])
        let events = try #require(try failures.json()["events"] as? [[String: Any]])
        #expect(events.count == 10)
        #expect(events.allSatisfy { ($0["event_metadata"] as? [String: Any])?["ip"] as? String == "127.0.0.1" })
    }

    @Test func aDistributedAttackGetsOneTryPerFreshAddressAndTheAdminStillGetsIn() throws {
        let stack = try TestStack(
            .init(environment: ["ADMIN_MAX_FAILURES": "3", "ADMIN_MAX_FAILURES_ALL_ADDRESSES": "5"]))
        for attempt in 1...3 { #expect(try admin(stack, from: "127.0.0.2", password: "a\(attempt)").status == 401) }
        #expect(try admin(stack, from: "127.0.0.2", password: "admin-password").status == 429)
        // Two more failures from another address reach the cap across addresses: the account is guarded.
        for attempt in 1...2 { #expect(try admin(stack, from: "127.0.0.3", password: "b\(attempt)").status == 401) }
        // An address that has failed is refused now, whatever username it names…
        #expect(try admin(stack, from: "127.0.0.3", password: "admin-password").status == 429)
        #expect(try admin(stack, from: "127.0.0.3", password: "b3", username: "root").status == 429)
        // …a fresh address gets one try…
        #expect(try admin(stack, from: "127.0.0.4", password: "c1").status == 401)
        #expect(try admin(stack, from: "127.0.0.4", password: "c2").status == 429)
        // …and the admin at a fresh address, with the right password, gets in and stays in.
        for _ in 1...3 { #expect(try admin(stack, from: "127.0.0.5", password: "admin-password").status == 200) }
        #expect(try AdminClient(stack: stack).auditLog("event_type=admin_auth_failed").total == 6)
    }

    @Test func whileGuardedTheAdminsFailedAddressIsPausedNotLockedOut() throws {
        let stack = try TestStack(
            .init(environment: [
                "ADMIN_MAX_FAILURES_ALL_ADDRESSES": "3", "ADMIN_GUARDED_RETRY_SECONDS": "1",
            ]))
        for address in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            #expect(try admin(stack, from: address, password: "guess").status == 401)
        }
        // Guarded: the admin's typo pauses its address…
        #expect(try admin(stack, from: "127.0.0.5", password: "admni").status == 401)
        let typoAnswered = Date()
        let paused = try admin(stack, from: "127.0.0.5", password: "admin-password")
        #expect(paused.status == 429)
        #expect(paused.headers["retry-after"] == "1")
        // …for the pause only, not for the 15 minutes the account stays guarded (the pause
        // passing is the behaviour under test).
        waitUntilClockPasses(typoAnswered.addingTimeInterval(1.01))
        let after = try admin(stack, from: "127.0.0.5", password: "admin-password")
        #expect(after.status == 200, "\(after.status) \(after.text)")
        #expect(try admin(stack, from: "127.0.0.2", password: "guess").status == 401)
        #expect(try admin(stack, from: "127.0.0.2", password: "guess").status == 429)
    }
}
