import Foundation
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// The idle timeout's bookkeeping (`last_seen_at`) never holds up `/auth/verify`: a writer busy
/// elsewhere (the janitor, a sign-in, another process) delays the write, not the page load, and
/// the session stays live meanwhile; on both engines.
@Suite("Session uses are written off the request")
struct SessionUseRecordingTests {
    private static func holdWriteLock(_ harness: GatewayHarness) throws -> () throws -> Void {
        try SessionUseWriterTests.holdWriteLock(
            schema: harness.schema,
            sqlitePath: harness.directory.directory.appendingPathComponent("gateway.sqlite3").path)
    }

    @Test(arguments: EngineKind.allCases)
    func aBusyWriterHoldsUpNeitherVerifyNorTheSession(_ engine: EngineKind) throws {
        let harness = try GatewayHarness(engine: engine) { $0.browserSessions.idleTimeoutSeconds = 600 }
        let storage = harness.gateway.services.storage
        let browser = try harness.browserSession()
        let cookie = VerifyTests.cookie(browser.sessionID)
        let lookup = SessionLookup(storage: storage, clock: harness.clock)
        let created = try #require(try lookup.identity(sessionID: browser.sessionID)?.lastSeenAt)

        // Past the recording interval (a tenth of the timeout), this use is to be written.
        harness.clock.advance(seconds: 120)
        let release = try Self.holdWriteLock(harness)
        let started = ContinuousClock.now
        let answer = VerifyTests.verify(harness, headers: cookie)
        let waited = ContinuousClock.now - started
        #expect(answer.status == 200)
        // The writer's busy timeout and PostgreSQL's lock_timeout are 5 s: well under either.
        #expect(waited < .seconds(1), "verify waited \(waited) for the busy writer")
        // Still held: past the idle timeout counted from the last use written, not from this one,
        // the session is live (a use not yet written must not end it early).
        harness.clock.advance(seconds: 500)
        #expect(VerifyTests.verify(harness, headers: cookie).status == 200)
        try release()

        // Once the writer is free the uses are written (the newest noted, that second one), and
        // count as any other.
        try harness.gateway.services.sessionUses.flush()
        #expect(try lookup.identity(sessionID: browser.sessionID)?.lastSeenAt == created + 620)
        harness.clock.advance(seconds: 599)
        #expect(VerifyTests.verify(harness, headers: cookie).status == 200)
        harness.clock.advance(seconds: 600)
        #expect(VerifyTests.verify(harness, headers: cookie).status == 401)
    }
}
