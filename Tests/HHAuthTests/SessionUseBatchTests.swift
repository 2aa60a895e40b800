import Foundation
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// One session row another transaction holds (an operator's open `UPDATE`, a `FOR UPDATE`) keeps
/// its own use out until it is free, not every other session's, and not the janitor's other work.
@Suite("Session uses: one held row")
struct SessionUseBatchTests {
    @Test func aHeldRowKeepsOnlyItsOwnUseOutAndTheJanitorDoesTheRest() throws {
        let harness = try GatewayHarness(engine: .postgresql) { $0.browserSessions.idleTimeoutSeconds = 600 }
        let program = try harness.sessionID(for: "1001")
        let storage = harness.gateway.services.storage
        let userID = try #require(try storage.read { tx in try tx.sessions.find(sessionID: program) }).userID
        let (held, free) = try storage.write { tx in
            (
                try tx.sessions.create(userID: userID, kind: .browser, lifetimeSeconds: nil),
                try tx.sessions.create(userID: userID, kind: .browser, lifetimeSeconds: nil)
            )
        }
        let schema = try #require(harness.schema)
        let holder = try schema.connect()
        defer { holder.close() }
        try holder.execute("BEGIN")
        try holder.execute(
            "SELECT id FROM sessions WHERE id_hash = $1 FOR UPDATE", [.blob(SecretToken.hash(held.sessionID))])
        harness.clock.advance(seconds: 100)
        let uses = harness.gateway.services.sessionUses
        let usedAt = harness.clock.now().timeIntervalSince1970
        // Written by the test's own flushes below; the writer's thread may take a turn too.
        uses.note(sessionID: held.sessionID, at: usedAt)
        uses.note(sessionID: free.sessionID, at: usedAt)
        #expect(throws: (any Error).self) { try uses.flush() }
        let lookup = SessionLookup(storage: storage, clock: harness.clock)
        #expect(try lookup.identity(sessionID: free.sessionID)?.lastSeenAt == usedAt, "the free row's use landed")
        #expect(uses.noted(sessionID: held.sessionID) == usedAt, "the held row's use is kept for later")
        #expect(uses.noted(sessionID: free.sessionID) == nil)

        // The janitor's pass still runs instead of failing whole (and deletes no idle session
        // while a use may be waiting).
        let swept = try harness.gateway.janitor.sweep()
        #expect(swept.sessions == 0)
        try holder.execute("ROLLBACK")
        try uses.flush()
        #expect(try lookup.identity(sessionID: held.sessionID)?.lastSeenAt == usedAt)
    }
}
