import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// What SQLite's single writer made safe and PostgreSQL's concurrent writers must not break: each
/// test forces the order of two transactions on separate connections (``PostgreSQLInterleaving``)
/// into the one that broke the engine before.
@Suite("PostgreSQL engine under concurrent writers", .serialized)
struct PostgreSQLConcurrencyTests {
    let clock = ManualClock()
    let expiry = Date(timeIntervalSince1970: 1_760_000_000)

    private func engine(_ interleaving: PostgreSQLInterleaving) throws -> PostgreSQLEngine {
        try PostgreSQLEngine(connectionString: interleaving.schema.conninfo, stores: Fixtures.stores(clock: clock))
    }

    /// The access tokens of the queued pairs (claims them: the queue is read once per test).
    private func queued(_ storage: PostgreSQLEngine) throws -> [String] {
        try storage.write { tx in try tx.revocations.due(limit: 100) }.entries.map(\.record.accessToken).sorted()
    }

    /// A refresh that commits while the user's pair moves to the revocation queue is either queued
    /// with it or refused: never deleted unqueued (a live pair at HH nobody would revoke).
    @Test func aRefreshCommittingWhileThePairIsQueuedIsQueuedOrRefused() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        let user = try storage.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        try storage.write { tx in
            try tx.tokens.save(userID: user.id, accessToken: "A0", refreshToken: "R0", expiresAt: expiry)
        }
        let version = try #require(try storage.read { tx in try tx.tokens.load(userID: user.id) }).version
        try interleaving.pause(after: "INSERT", on: "hh_revocations")
        try interleaving.hold()

        let moving = Background { try storage.write { tx in try tx.revocations.enqueueStored(userID: user.id) } }
        #expect(try interleaving.waitUntil(blocked: 1))
        let refreshing = Background {
            try storage.write { tx in
                try tx.tokens.saveRefreshed(
                    RotatedTokenPair(
                        userID: user.id, accessToken: "A1", refreshToken: "R1", expiresAt: expiry,
                        replacesVersion: version))
            }
        }
        #expect(try interleaving.waitUntil(blocked: 2, or: { refreshing.isDone }))
        try interleaving.release()

        #expect(try moving.result())
        let refreshed = try refreshing.result()
        let stored = try storage.read { tx in try tx.tokens.load(userID: user.id) }?.accessToken
        let queued = try queued(storage)
        #expect(queued.contains("A0") || queued.contains("A1"))
        if refreshed == .saved {
            #expect(queued.contains("A1") || stored == "A1", "the refreshed pair was deleted unqueued")
        }
    }
}
