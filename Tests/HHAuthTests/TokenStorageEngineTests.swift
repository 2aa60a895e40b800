import Foundation
import Testing

@testable import HHAuth

/// The stored HH pairs, their refresh lease and the revocation queue through the engines'
/// transactions, on both engines (``EngineKind``).
@Suite("HH pairs and the revocation queue through the storage engine")
struct TokenStorageEngineTests {
    let clock = ManualClock()
    private var expiry: Date { clock.now().addingTimeInterval(1_209_600) }

    private func saved(_ store: TestStorage, _ userID: Int64, _ access: String = "A1", _ refresh: String = "R1") throws
        -> HHTokenRecord
    {
        try store.engine.write { tx in
            try tx.tokens.save(userID: userID, accessToken: access, refreshToken: refresh, expiresAt: expiry)
            return try #require(try tx.tokens.load(userID: userID))
        }
    }

    @Test(arguments: EngineKind.allCases)
    func aSavedPairLoadsBackAndEverySaveMovesItsVersion(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let user = try store.user()
        let first = try saved(store, user.id)
        #expect(first.accessToken == "A1")
        #expect(first.refreshToken == "R1")
        #expect(first.expiresAt == expiry)
        #expect(first.userID == user.id)
        let second = try saved(store, user.id, "A2", "R2")
        #expect(second.version == first.version + 1)
        #expect(second.accessToken == "A2")
        #expect(try store.engine.read { tx in try tx.tokens.keyIDsInUse() } == [Fixtures.key().id])
        #expect(try store.engine.write { tx in try tx.tokens.delete(userID: user.id, version: first.version) } == false)
        #expect(try store.engine.write { tx in try tx.tokens.delete(userID: user.id, version: second.version) })
        #expect(try store.engine.read { tx in try tx.tokens.load(userID: user.id) } == nil)
    }

    @Test(arguments: EngineKind.allCases)
    func aRotatedPairIsSavedOnlyOntoTheRowItReplaces(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let user = try store.user()
        let stored = try saved(store, user.id)
        let rotated = RotatedTokenPair(
            userID: user.id, accessToken: "A2", refreshToken: "R2", expiresAt: expiry, replacesVersion: stored.version)
        #expect(try store.engine.write { tx in try tx.tokens.saveRefreshed(rotated) } == .saved)
        let now = try #require(try store.engine.read { tx in try tx.tokens.load(userID: user.id) })
        #expect(now.version == stored.version + 1)
        #expect(now.refreshToken == "R2")
        #expect(try store.engine.write { tx in try tx.tokens.saveRefreshed(rotated) } == .savedBefore)
        var stale = rotated
        stale.refreshToken = "R3"
        #expect(try store.engine.write { tx in try tx.tokens.saveRefreshed(stale) } == .superseded)
    }

    @Test(arguments: EngineKind.allCases)
    func theRefreshLeaseHasOneHolderUntilReleasedOrLapsed(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let user = try store.user()
        let stored = try saved(store, user.id)
        func acquire(_ owner: String, seconds: Double = 30, version: Int64? = nil) throws -> Bool {
            try store.engine.write { tx in
                try tx.tokens.acquireLease(
                    userID: user.id, version: version ?? stored.version, owner: owner, seconds: seconds)
            }
        }
        func takable(_ owner: String) throws -> Bool {
            try store.engine.read { tx in try tx.tokens.leaseIsTakable(userID: user.id, owner: owner) }
        }
        #expect(try takable("a"))
        #expect(try acquire("a"))
        #expect(try acquire("b") == false)
        #expect(try takable("b") == false)
        #expect(try takable("a"), "its holder takes it again")
        #expect(try acquire("a"))
        #expect(try acquire("c", version: stored.version + 1) == false, "only for the version it names")
        try store.engine.write { tx in try tx.tokens.releaseLease(userID: user.id, owner: "b") }
        #expect(try takable("b") == false, "only the holder releases it")
        try store.engine.write { tx in try tx.tokens.releaseLease(userID: user.id, owner: "a") }
        #expect(try takable("b"))
        // A lease that has lapsed is anyone's (one that ended a second ago, on either clock).
        #expect(try acquire("b", seconds: -1))
        #expect(try takable("c"))
        #expect(try acquire("c"))
        #expect(try store.engine.read { tx in try tx.tokens.orphanedUserIDs(limit: 10) } == [], "leased")
    }

    @Test(arguments: EngineKind.allCases)
    func aPairNoLiveSessionOrCodeNeedsIsAnOrphan(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let ivan = try store.user("1001")
        let petr = try store.user("2002")
        _ = try saved(store, ivan.id)
        _ = try saved(store, petr.id)
        try store.engine.write { tx in
            _ = try tx.sessions.create(userID: ivan.id, kind: .program, lifetimeSeconds: 60)
            _ = try tx.codes.issue(userID: petr.id)
        }
        #expect(try store.engine.read { tx in try tx.tokens.orphanedUserIDs(limit: 10) } == [])
        clock.advance(seconds: 300)
        #expect(
            try store.engine.read { tx in try tx.tokens.orphanedUserIDs(limit: 10) }.sorted() == [ivan.id, petr.id])
        #expect(try store.engine.read { tx in try tx.tokens.orphanedUserIDs(limit: 1) }.count == 1)
    }

    @Test(arguments: EngineKind.allCases)
    func aQueuedPairWaitsItsTurnAndWakesTheJanitorOnceCommitted(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let wake = store.stores.revocations.wake
        let user = try store.user()
        _ = try saved(store, user.id)
        struct Refusal: Error {}
        #expect(throws: Refusal.self) {
            try store.engine.write { tx in
                try tx.revocations.enqueueStored(userID: user.id)
                throw Refusal()
            }
        }
        #expect(wake.wait(until: Date()) == false, "a rolled-back queuing wakes nobody")
        #expect(try store.engine.read { tx in try tx.revocations.count() } == 0)

        #expect(try store.engine.write { tx in try tx.revocations.enqueueStored(userID: user.id) })
        #expect(wake.wait(until: Date()))
        #expect(try store.engine.read { tx in try tx.tokens.load(userID: user.id) } == nil)
        #expect(try store.engine.write { tx in try tx.revocations.enqueueStored(userID: user.id) } == false)
        #expect(try store.engine.read { tx in try tx.revocations.keyIDsInUse() } == [Fixtures.key().id])

        let due = try store.engine.write { tx in try tx.revocations.due(limit: 10) }
        #expect(due.unreadable == 0)
        let entry = try #require(due.entries.first)
        #expect(due.entries.count == 1)
        #expect(entry.record.accessToken == "A1")
        #expect(entry.record.refreshToken == "R1")
        #expect(entry.attempts == 0)

        let replacement = HHTokenRecord(
            userID: user.id, accessToken: "A9", refreshToken: "R9", expiresAt: expiry, version: 0)
        try store.engine.write { tx in try tx.revocations.postpone(entry, replacement: replacement) }
        #expect(try store.engine.write { tx in try tx.revocations.due(limit: 10) }.entries == [])
        clock.advance(seconds: 30)
        let again = try #require(try store.engine.write { tx in try tx.revocations.due(limit: 10) }.entries.first)
        #expect(again.attempts == 1)
        #expect(again.record.refreshToken == "R9")
        try store.engine.write { tx in try tx.revocations.remove(id: again.id) }
        #expect(try store.engine.read { tx in try tx.revocations.count() } == 0)

        try store.engine.write { tx in try tx.revocations.enqueue(replacement) }
        #expect(wake.wait(until: Date()))
        #expect(try store.engine.read { tx in try tx.revocations.count() } == 1)
    }
}

extension PostgreSQLEngineTests {
    /// Two nodes (threads, each with its connection) taking the lease of one pair version at once:
    /// exactly one gets it, every round.
    @Test func twoConnectionsTakingOneLeaseExactlyOneGetsIt() throws {
        let storage = try TestStorage(.postgresql, clock: clock)
        let user = try storage.user()
        try storage.engine.write { tx in
            try tx.tokens.save(userID: user.id, accessToken: "A", refreshToken: "R", expiresAt: clock.now())
        }
        let version = try #require(try storage.engine.read { tx in try tx.tokens.load(userID: user.id) }).version
        let rounds = 20
        let holders = Locked<[Int]>(Array(repeating: 0, count: rounds))
        let failures = Locked<[String]>([])
        let rendezvous = Rendezvous(parties: 2)
        let released = Rendezvous(parties: 2)
        let done = DispatchGroup()
        for node in 0..<2 {
            done.enter()
            Thread {
                defer { done.leave() }
                for round in 0..<rounds {
                    do {
                        let owner = "node-\(node)"
                        let taken = try storage.engine.write { tx in
                            _ = try tx.tokens.leaseIsTakable(userID: user.id, owner: owner)
                            rendezvous.arrive(round: round)
                            return try tx.tokens.acquireLease(
                                userID: user.id, version: version, owner: owner, seconds: 30)
                        }
                        if taken { holders.withLock { $0[round] += 1 } }
                        released.arrive(round: round)
                        if taken {
                            try storage.engine.write { tx in try tx.tokens.releaseLease(userID: user.id, owner: owner) }
                        }
                        rendezvous.arrive(round: rounds + round)
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }.start()
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(failures.withLock { $0 } == [])
        #expect(holders.withLock { $0 } == Array(repeating: 1, count: rounds))
    }
}
