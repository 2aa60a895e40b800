import Foundation
import Testing

@testable import HHAuth

/// Exchange codes and used OAuth states through the engines' transactions, on both engines; the
/// states' seal and the stores' other rules are ``OneTimeSecretStoreTests``'.
@Suite("One-time secrets through the storage engine")
struct OneTimeSecretEngineTests {
    let clock = ManualClock()

    @Test(arguments: EngineKind.allCases)
    func anExchangeCodeIsConsumedOnceAndNotAfterItExpires(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let storage = store.engine
        let user = try store.user()
        let code = try storage.write { tx in try tx.codes.issue(userID: user.id) }
        #expect(SecretToken.isPlausible(code))
        #expect(try storage.read { tx in try tx.codes.hasLive(userID: user.id) })
        #expect(try storage.write { tx in try tx.codes.consume(code) } == user.id)
        #expect(try storage.write { tx in try tx.codes.consume(code) } == nil)
        #expect(try storage.read { tx in try tx.codes.hasLive(userID: user.id) } == false)
        #expect(try storage.write { tx in try tx.codes.consume("not-a-code-at-all") } == nil)

        let late = try storage.write { tx in try tx.codes.issue(userID: user.id) }
        clock.advance(seconds: 300)
        #expect(try storage.read { tx in try tx.codes.hasLive(userID: user.id) } == false)
        #expect(try storage.write { tx in try tx.codes.consume(late) } == nil)
        // The expired code went with its consumption.
        #expect(try storage.write { tx in try tx.codes.deleteExpired() } == 0)
        #expect(try store.text("SELECT count(*) FROM exchange_codes") == "0")
    }

    @Test(arguments: EngineKind.allCases)
    func exchangeCodesAreVoidedAndSweptAndStoredHashed(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let storage = store.engine
        let ivan = try store.user("1001")
        let petr = try store.user("2002")
        let codes = try storage.write { tx in
            [
                try tx.codes.issue(userID: ivan.id), try tx.codes.issue(userID: ivan.id),
                try tx.codes.issue(userID: petr.id),
            ]
        }
        try storage.write { tx in try tx.codes.deleteAll(userID: ivan.id) }
        #expect(try storage.write { tx in try tx.codes.consume(codes[0]) } == nil)
        #expect(try storage.read { tx in try tx.codes.hasLive(userID: petr.id) })
        let stored = try #require(try store.text("SELECT count(*) FROM exchange_codes WHERE user_id = \(petr.id)"))
        #expect(stored == "1")
        clock.advance(seconds: 300)
        #expect(try storage.write { tx in try tx.codes.deleteExpired() } == 1)
        #expect(try storage.write { tx in try tx.codes.consume(codes[2]) } == nil)
    }

    @Test(arguments: EngineKind.allCases)
    func aStateIsUsedOnceAndRememberedPastItsExpiry(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let storage = store.engine
        let states = LoginStateStore(clock: clock, lifetimeSeconds: 600, keys: [Fixtures.key()])
        let issued = try #require(states.issue(redirectURI: nil, boundTo: "cookie"))
        let state = try #require(states.verify(issued))
        #expect(try storage.read { tx in try tx.states.isUsed(state) } == false)
        #expect(try storage.write { tx in try tx.states.consume(state) })
        #expect(try storage.read { tx in try tx.states.isUsed(state) })
        #expect(try storage.write { tx in try tx.states.consume(state) } == false)
        clock.advance(seconds: 600)
        #expect(try storage.write { tx in try tx.states.deleteExpired() } == 0, "kept for the margin")
        clock.advance(seconds: LoginStateStore.usedStateMarginSeconds)
        #expect(try storage.write { tx in try tx.states.deleteExpired() } == 1)
        #expect(try storage.read { tx in try tx.states.isUsed(state) } == false)
    }
}

extension PostgreSQLEngineTests {
    /// Two nodes (here threads, each with its connection) consuming one code, their transactions
    /// open at once: exactly one gets the user, every round.
    @Test func twoConnectionsConsumingOneCodeExactlyOneWins() throws {
        let storage = try TestStorage(.postgresql, clock: clock)
        let user = try storage.user()
        let rounds = 20
        let codes = try storage.engine.write { tx in try (0..<rounds).map { _ in try tx.codes.issue(userID: user.id) } }
        let winners = Locked<[Int]>(Array(repeating: 0, count: rounds))
        let failures = Locked<[String]>([])
        let rendezvous = Rendezvous(parties: 2)
        let done = DispatchGroup()
        for _ in 0..<2 {
            done.enter()
            Thread {
                defer { done.leave() }
                for (index, code) in codes.enumerated() {
                    do {
                        let consumed = try storage.engine.write { tx in
                            // Both transactions have begun before either consumes.
                            _ = try tx.sessions.liveCount(userID: user.id)
                            rendezvous.arrive(round: index)
                            return try tx.codes.consume(code)
                        }
                        if consumed == user.id { winners.withLock { $0[index] += 1 } }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }.start()
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(failures.withLock { $0 } == [])
        #expect(winners.withLock { $0 } == Array(repeating: 1, count: rounds))
    }
}

/// Threads meeting once per round: each `arrive(round:)` returns when every party has arrived at
/// that round (or after 10 seconds, so that a broken test fails instead of hanging).
final class Rendezvous: @unchecked Sendable {
    private let condition = NSCondition()
    private let parties: Int
    private var arrivals: [Int: Int] = [:]

    init(parties: Int) { self.parties = parties }

    func arrive(round: Int) {
        condition.lock()
        defer { condition.unlock() }
        arrivals[round, default: 0] += 1
        condition.broadcast()
        let deadline = Date().addingTimeInterval(10)
        while arrivals[round, default: 0] < parties, condition.wait(until: deadline) {}
    }
}
