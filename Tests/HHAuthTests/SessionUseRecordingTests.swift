import Foundation
import GRDB
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// The idle timeout's bookkeeping (`last_seen_at`) never holds up `/auth/verify`: a writer busy
/// elsewhere (the janitor, a sign-in, another process) delays the write, not the page load, and
/// the session stays live meanwhile; on both engines.
@Suite("Session uses are written off the request")
struct SessionUseRecordingTests {
    /// Holds the database's write lock from a connection of its own, as a busy writer does: on
    /// SQLite an open `BEGIN IMMEDIATE`, on PostgreSQL the sessions' rows locked. Returns the release.
    private static func holdWriteLock(_ harness: GatewayHarness) throws -> () throws -> Void {
        if let schema = harness.schema {
            let connection = try schema.connect()
            try connection.execute("BEGIN")
            try connection.execute("SELECT id FROM sessions FOR UPDATE")
            return {
                defer { connection.close() }
                try connection.execute("ROLLBACK")
            }
        }
        var configuration = GRDB.Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(
            path: harness.directory.directory.appendingPathComponent("gateway.sqlite3").path,
            configuration: configuration)
        try other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        return { try other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") } }
    }

    @Test(arguments: EngineKind.allCases)
    func aBusyWriterHoldsUpNeitherVerifyNorTheSession(_ engine: EngineKind) throws {
        let harness = try GatewayHarness(engine: engine) { $0.browserSessions.idleTimeoutSeconds = 600 }
        let program = try harness.sessionID(for: "1001")
        let storage = harness.gateway.services.storage
        let userID = try #require(try storage.read { tx in try tx.sessions.find(sessionID: program) }).userID
        let browser = try storage.write { tx in
            try tx.sessions.create(userID: userID, kind: .browser, lifetimeSeconds: nil)
        }
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
