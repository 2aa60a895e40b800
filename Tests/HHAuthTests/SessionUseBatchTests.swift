import Foundation
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// One session row another transaction holds (an operator's open `UPDATE`, a `FOR UPDATE`) keeps
/// this node's noted uses from being written; the janitor's pass then still runs, without its idle
/// delete (a session it would delete may have a use waiting), and deletes idle sessions again once
/// the uses are written.
@Suite("Session uses: one held row")
struct SessionUseBatchTests {
    @Test func whileUsesCannotBeWrittenTheJanitorRunsWithoutItsIdleDelete() throws {
        let harness = try GatewayHarness(engine: .postgresql) { configuration in
            configuration.browserSessions.idleTimeoutSeconds = 600
            // The held row refuses the write in 0.2 s, not 5.
            if case .postgreSQL(let url) = configuration.database {
                configuration.database = .postgreSQL(connectionString: url + "%20-clock_timeout%3D200")
            }
        }
        let storage = harness.gateway.services.storage
        let (held, free, stale) = (
            try harness.browserSession(), try harness.browserSession(), try harness.browserSession()
        )
        // All three are idle by their stored use; two have been used since, only in memory.
        harness.clock.advance(seconds: 700)
        let schema = try #require(harness.schema)
        let holder = try schema.connect()
        defer { holder.close() }
        try holder.execute("BEGIN")
        try holder.execute(
            "SELECT id FROM sessions WHERE id_hash = $1 FOR UPDATE", [.blob(SecretToken.hash(held.sessionID))])
        let uses = harness.gateway.services.sessionUses
        let usedAt = harness.clock.now().timeIntervalSince1970
        uses.note(sessionID: held.sessionID, at: usedAt)
        uses.note(sessionID: free.sessionID, at: usedAt)
        #expect(throws: (any Error).self) { try uses.flush() }

        // The pass runs instead of failing whole, and deletes no idle session meanwhile.
        let swept = try harness.gateway.janitor.sweep()
        #expect(swept.sessions == 0)
        #expect(try storage.read { tx in try tx.sessions.find(sessionID: stale.sessionID) } != nil)

        try holder.execute("ROLLBACK")
        #expect(try harness.gateway.janitor.sweep().sessions == 1, "the uses written, the stale session goes")
        let lookup = SessionLookup(storage: storage, clock: harness.clock)
        #expect(try lookup.identity(sessionID: held.sessionID)?.lastSeenAt == usedAt)
        #expect(try lookup.identity(sessionID: free.sessionID)?.lastSeenAt == usedAt)
        #expect(try storage.read { tx in try tx.sessions.find(sessionID: stale.sessionID) } == nil)
    }
}
