import Foundation
import Testing

@testable import HHAuth

/// With `SESSION_IDLE_MINUTES`, a browser session past its idle timeout is over for every list and
/// count at once, as `/auth/verify` already refuses it, not only once the janitor's pass deletes
/// it (``SessionLiveness``); on both engines.
@Suite("Idle browser sessions leave the lists at once")
struct IdleSessionListingTests {
    private let admin = ["Authorization": "Basic " + Data("admin:admin".utf8).base64EncodedString()]

    @Test(arguments: EngineKind.allCases)
    func anIdleSessionIsOverForEveryListAndCountBeforeTheJanitorsPass(_ engine: EngineKind) throws {
        let harness = try GatewayHarness(engine: engine) { $0.browserSessions.idleTimeoutSeconds = 600 }
        let program = try harness.sessionID(for: "1001")
        let storage = harness.gateway.services.storage
        let programSession = try #require(try storage.read { tx in try tx.sessions.find(sessionID: program) })
        let (used, idle) = try storage.write { tx in
            (
                try tx.sessions.create(userID: programSession.userID, kind: .browser, lifetimeSeconds: nil),
                try tx.sessions.create(userID: programSession.userID, kind: .browser, lifetimeSeconds: nil)
            )
        }
        harness.clock.advance(seconds: 601)
        let now = harness.clock.now().timeIntervalSince1970
        try storage.write { tx in try tx.sessions.recordUse(sessionID: used.sessionID, at: now) }
        #expect(VerifyTests.verify(harness, headers: VerifyTests.cookie(idle.sessionID)).status == 401)
        #expect(VerifyTests.verify(harness, headers: VerifyTests.cookie(used.sessionID)).status == 200)

        // The account's list and page; the idle one cannot be ended by its handle there (it is over).
        let mine = AccountTests.send(harness, "GET", "/auth/sessions", cookie: used.sessionID)
        let listed = (mine.json["sessions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(Set(listed) == [used.session.handle, programSession.handle])
        let page = AccountTests.send(harness, "GET", "/auth/account", cookie: used.sessionID)
        #expect(page.status == 200 && !page.text.contains(idle.session.handle))
        #expect(
            try storage.read { tx in try tx.sessions.live(handle: idle.session.handle, userID: programSession.userID) }
                == nil)
        // The admin listing, its total, and the gauge of live sessions.
        let listing = harness.send("GET", "/admin/sessions", headers: admin)
        #expect(listing.json["total"] as? Int == 2)
        #expect(listing.status == 200 && !listing.text.contains(idle.session.handle))
        try harness.gateway.janitor.countSessions()
        let exposition = String(decoding: harness.gateway.metrics.exposition(), as: UTF8.self)
        #expect(
            exposition.contains("\nhh_auth_sessions_active 2.0\n")
                || exposition.contains("\nhh_auth_sessions_active 2\n"))

        // Once the live ones end, the pair goes at once: the idle row left in the table does not
        // count as a session that still needs it.
        #expect(harness.send("POST", "/auth/logout", headers: ["Authorization": "Bearer \(program)"]).status == 200)
        #expect(try storage.read { tx in try tx.tokens.load(userID: programSession.userID) } != nil)
        let signOut = AccountTests.send(
            harness, "DELETE", "/auth/sessions/\(used.session.handle)", cookie: used.sessionID,
            origin: "http://auth.example.com")
        #expect(signOut.status == 200)
        #expect(try storage.read { tx in try tx.sessions.liveCount(userID: programSession.userID) } == 0)
        #expect(try storage.read { tx in try tx.tokens.load(userID: programSession.userID) } == nil)
    }

    /// A use written late (the recorder's retry, another node's recorder) never moves a session's
    /// last use back, which would end it early.
    @Test(arguments: EngineKind.allCases)
    func aUseWrittenLateNeverMovesTheLastUseBack(_ engine: EngineKind) throws {
        let harness = try GatewayHarness(engine: engine) { $0.browserSessions.idleTimeoutSeconds = 600 }
        let storage = harness.gateway.services.storage
        let browser = try harness.browserSession()
        harness.clock.advance(seconds: 500)
        let late = harness.clock.now().timeIntervalSince1970
        let early = late - 400
        try storage.write { tx in try tx.sessions.recordUse(sessionID: browser.sessionID, at: late) }
        try storage.write { tx in try tx.sessions.recordUse(sessionID: browser.sessionID, at: early) }
        let lookup = SessionLookup(storage: storage, clock: harness.clock)
        #expect(try lookup.identity(sessionID: browser.sessionID)?.lastSeenAt == late)
        // But a time in the future (a clock that stepped back) gives way, or the session could not
        // go idle until then.
        try storage.write { tx in try tx.sessions.recordUse(sessionID: browser.sessionID, at: late + 3600) }
        try storage.write { tx in try tx.sessions.recordUse(sessionID: browser.sessionID, at: late) }
        #expect(try lookup.identity(sessionID: browser.sessionID)?.lastSeenAt == late)
    }
}
