import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// A whitelist removal racing a sign-in or an exchange (review finding M1): whichever commits
/// first, the removed user ends up with nothing live (no session, no exchange code) and every
/// pair HH issued queued for revocation. In ``PostgreSQLConcurrencyTests``' suite: its tests
/// run one at a time on the interleaving's database.
extension PostgreSQLConcurrencyTests {
    private var remover: AdminActor { AdminActor(name: "cli:tester") }

    /// A whitelisted user 1001 (with a stored pair "A0" unless `signedInBefore` is false).
    private func listedUser(_ storage: PostgreSQLEngine, signedInBefore: Bool = true) throws {
        guard signedInBefore else {
            try storage.write { tx in _ = try tx.whitelist.allow("1001", comment: nil) }
            return
        }
        _ = try signedInUser(storage)
    }

    /// The session API over `storage` (the engine, or one wrapping it).
    private func sessionService(_ storage: any StorageEngine, base: PostgreSQLEngine, hh: HHLikeFake) -> SessionService
    {
        let broker = TokenBroker(
            storage: storage, tokens: base.stores.tokens,
            client: HHClient(settings: Fixtures.headHunter(), transport: hh.transport, clock: clock), clock: clock,
            timing: TokenBroker.Timing(leaseSeconds: 30), logger: Fixtures.logger)
        return SessionService(
            storage: storage, broker: broker, termination: SessionTermination(),
            lookup: SessionLookup(storage: storage, clock: clock))
    }

    /// Whether user 1001 has a live session or exchange code.
    private func hasAnythingLive(_ storage: PostgreSQLEngine) throws -> Bool {
        try storage.read { tx in
            guard let user = try tx.users.find(hhUserID: "1001") else { return false }
            return try tx.sessions.liveCount(userID: user.id) > 0 || tx.codes.hasLive(userID: user.id)
        }
    }

    /// The removal runs (on a thread of its own) when the sign-in first reaches for the users:
    /// before the fix that was after its whitelist read, and the sign-in then issued a code for
    /// a user removed meanwhile.
    @Test func aRemovalDuringASignInLeavesTheRemovedUserNothingLive() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        try listedUser(storage)
        let administration = Administration(storage: storage, termination: SessionTermination())
        let removing = Locked<Background<Int?>?>(nil)
        let hooked = HookedEngine(storage, on: .users) { [remover] in
            let background = Background { try administration.remove(hhUserID: "1001", by: remover) }
            removing.withLock { $0 = background }
            try interleaving.waitUntil(blocked: 1, or: { background.isDone })
        }
        let signIn = SignInDriver(storage: hooked, states: storage.stores.states, clock: clock)
        let signedIn = Result { try signIn.complete() }

        #expect(try #require(removing.withLock { $0 }).result() != nil)
        if case .failure(let error) = signedIn { #expect(error as? LoginError == .notWhitelisted(hhUserID: "1001")) }
        #expect(try !hasAnythingLive(storage))
        #expect(try queued(storage) == ["A0", signIn.accessToken].sorted())
    }

    /// The sign-in holds its locks (it is about to move the old pair to the queue) when the
    /// removal starts: the removal waits, then ends what the sign-in created. `signedInBefore`
    /// false: a first sign-in, with no user row to lock yet (the whitelist entry is held instead).
    @Test(arguments: [true, false])
    func aRemovalAfterASignInTookItsLocksEndsWhatItCreated(signedInBefore: Bool) throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        try listedUser(storage, signedInBefore: signedInBefore)
        let administration = Administration(storage: storage, termination: SessionTermination())
        let removing = Locked<Background<Int?>?>(nil)
        let hooked = HookedEngine(storage, on: .revocations) { [remover] in
            let background = Background { try administration.remove(hhUserID: "1001", by: remover) }
            removing.withLock { $0 = background }
            try interleaving.waitUntil(blocked: 1, or: { background.isDone })
        }
        let signIn = SignInDriver(storage: hooked, states: storage.stores.states, clock: clock)
        _ = try signIn.complete()

        #expect(try #require(removing.withLock { $0 }).result() != nil)
        #expect(try !hasAnythingLive(storage))
        #expect(try queued(storage) == (signedInBefore ? ["A0", signIn.accessToken] : [signIn.accessToken]).sorted())
    }

    /// The removal starts while an exchange is about to create the session (its code already
    /// used): before the fix the removal waited on the used code only and committed after the
    /// session, which stayed live.
    @Test func aRemovalDuringAnExchangeEndsItsSession() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        try listedUser(storage)
        let signIn = SignInDriver(storage: storage, clock: clock)
        guard case .exchangeCode(let code) = try signIn.complete().credential else { throw Unexpected(signIn) }
        let administration = Administration(storage: storage, termination: SessionTermination())
        let removing = Locked<Background<Int?>?>(nil)
        let hooked = HookedEngine(storage, on: .sessions) { [remover] in
            let background = Background { try administration.remove(hhUserID: "1001", by: remover) }
            removing.withLock { $0 = background }
            try interleaving.waitUntil(blocked: 1, or: { background.isDone })
        }
        let service = sessionService(hooked, base: storage, hh: signIn.hh)
        let exchanged = Result { try service.exchange(code: code, from: ClientOrigin(clientAddress: "203.0.113.7")) }

        #expect(try #require(removing.withLock { $0 }).result() != nil)
        if case .failure(let error) = exchanged { #expect(error as? LoginError == .invalidExchangeCode) }
        #expect(try !hasAnythingLive(storage))
        #expect(try queued(storage) == ["A0", signIn.accessToken].sorted())
    }

    /// The other way round: the exchange starts while the removal holds its locks (it is about
    /// to end the sessions); the exchange waits and finds its code gone.
    @Test func anExchangeDuringARemovalIsRefused() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        try listedUser(storage)
        let signIn = SignInDriver(storage: storage, clock: clock)
        guard case .exchangeCode(let code) = try signIn.complete().credential else { throw Unexpected(signIn) }
        let service = sessionService(storage, base: storage, hh: signIn.hh)
        let exchanging = Locked<Background<NewSession>?>(nil)
        let hooked = HookedEngine(storage, on: .sessions) {
            let background = Background {
                try service.exchange(code: code, from: ClientOrigin(clientAddress: "203.0.113.7"))
            }
            exchanging.withLock { $0 = background }
            try interleaving.waitUntil(blocked: 1, or: { background.isDone })
        }
        let administration = Administration(storage: hooked, termination: SessionTermination())
        #expect(try administration.remove(hhUserID: "1001", by: remover) != nil)

        #expect(throws: LoginError.invalidExchangeCode) { try #require(exchanging.withLock { $0 }).result() }
        #expect(try !hasAnythingLive(storage))
        #expect(try queued(storage) == ["A0", signIn.accessToken].sorted())
    }
}
