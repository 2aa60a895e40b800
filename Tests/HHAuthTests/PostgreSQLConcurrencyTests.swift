import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Prometheus
import Testing

@testable import HHAuth

/// What SQLite's single writer made safe and PostgreSQL's concurrent writers must not break: each
/// test forces the order of two transactions on separate connections (``PostgreSQLInterleaving``)
/// into the one that broke the engine before.
@Suite("PostgreSQL engine under concurrent writers", .serialized)
struct PostgreSQLConcurrencyTests {
    let clock = ManualClock()
    let expiry = Date(timeIntervalSince1970: 1_760_000_000)

    func engine(_ interleaving: PostgreSQLInterleaving) throws -> PostgreSQLEngine {
        try PostgreSQLEngine(connectionString: interleaving.schema.conninfo, stores: Fixtures.stores(clock: clock))
    }

    /// Whitelisted user 1001 with the stored pair "A0" of an earlier sign-in.
    func signedInUser(_ storage: PostgreSQLEngine) throws -> User {
        try storage.write { tx in
            _ = try tx.whitelist.allow("1001", comment: nil)
            let user = try tx.users.upsert(HHProfile(id: "1001"))
            try tx.tokens.save(userID: user.id, accessToken: "A0", refreshToken: "R0", expiresAt: expiry)
            return user
        }
    }

    /// The access tokens of the queued pairs (claims them: the queue is read once per test).
    func queued(_ storage: PostgreSQLEngine) throws -> [String] {
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

    /// A sign-in that commits between "was that the user's last session?" and moving their pair
    /// to the queue keeps its new pair: the logout waits for it, or it for the logout.
    @Test func aSignInDuringTheLastLogoutKeepsItsPair() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        let user = try signedInUser(storage)
        let session = try storage.write { tx in try tx.sessions.create(userID: user.id) }.session
        let signIn = SignInDriver(storage: storage, clock: clock)
        let signing = Locked<Background<LoginFlow.SignedIn>?>(nil)
        let hooked = HookedEngine(storage) {
            let background = Background { try signIn.complete() }
            signing.withLock { $0 = background }
            try interleaving.waitUntil(blocked: 1, or: { background.isDone })
        }
        try hooked.write { tx in try SessionTermination().end(session, in: tx) }

        let signedIn = try #require(signing.withLock { $0 }).result()
        guard case .exchangeCode = signedIn.credential else { throw Unexpected(signedIn) }
        #expect(try storage.read { tx in try tx.tokens.load(userID: user.id) }?.accessToken == signIn.accessToken)
        #expect(try queued(storage) == ["A0"])
    }

    /// The same race with the janitor's sweep of pairs no session needs.
    @Test func aSignInDuringTheOrphanSweepKeepsItsPair() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        let user = try signedInUser(storage)
        let signIn = SignInDriver(storage: storage, clock: clock)
        let signing = Locked<Background<LoginFlow.SignedIn>?>(nil)
        let hooked = HookedEngine(storage) {
            let background = Background { try signIn.complete() }
            signing.withLock { $0 = background }
            try interleaving.waitUntil(blocked: 1, or: { background.isDone })
        }
        let janitor = Janitor(
            storage: hooked, tokens: storage.stores.tokens, revocations: storage.stores.revocations,
            logger: Fixtures.logger)
        #expect(try janitor.sweep().orphanedPairs == 1)

        _ = try #require(signing.withLock { $0 }).result()
        #expect(try storage.read { tx in try tx.tokens.load(userID: user.id) }?.accessToken == signIn.accessToken)
        #expect(try queued(storage) == ["A0"])
    }

    /// One transaction appends to the trail and then updates a row; another updates the row and
    /// then appends. Neither waits for the other's audit append while holding what it needs.
    @Test func appendingAndUpdatingInEitherOrderDoesNotDeadlock() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        _ = try storage.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        let recorded = Gate()
        let updated = Gate()
        let first = Background {
            try storage.write { tx in
                try tx.audit.record(AuditEvent(.logout, userID: 1))
                recorded.open()
                updated.wait(timeoutSeconds: 30)
                _ = try tx.users.upsert(HHProfile(id: "1001", firstName: "Первый"))
            }
        }
        let second = Background {
            try storage.write { tx in
                recorded.wait(timeoutSeconds: 30)
                _ = try tx.users.upsert(HHProfile(id: "1001", firstName: "Второй"))
                updated.open()
                try tx.audit.record(AuditEvent(.login, userID: 1))
            }
        }
        #expect(throws: Never.self) { try first.result() }
        #expect(throws: Never.self) { try second.result() }
        #expect(try storage.read { tx in try tx.audit.verify() } == .intact(count: 2))
    }

    /// Two janitors reading the due revocations at once, and one after the other, never get the
    /// same entry: the first claims what it read.
    @Test func twoJanitorsNeverTakeTheSameRevocation() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        try storage.write { tx in
            for n in 1...3 {
                try tx.revocations.enqueue(
                    HHTokenRecord(userID: 0, accessToken: "A\(n)", refreshToken: "R\(n)", expiresAt: expiry, version: 0)
                )
            }
        }
        let claimed = Gate()
        let read = Gate()
        let first = Background {
            try storage.write { tx in
                let due = try tx.revocations.due(limit: 10)
                claimed.open()
                read.wait(timeoutSeconds: 30)
                return due.entries.map(\.id)
            }
        }
        claimed.wait(timeoutSeconds: 30)
        let atOnce = try storage.write { tx in try tx.revocations.due(limit: 10) }.entries.map(\.id)
        read.open()
        let firstIDs = try first.result()
        let afterwards = try storage.write { tx in try tx.revocations.due(limit: 10) }.entries.map(\.id)
        #expect(firstIDs.count == 3)
        #expect(Set(firstIDs).isDisjoint(with: atOnce))
        #expect(Set(firstIDs).isDisjoint(with: afterwards))
    }

    /// Two prunes at once: the later cut-off committing first does not let the earlier one move
    /// the anchor back (the chain would no longer verify).
    @Test func twoPrunesAtOnceNeverMoveTheAnchorBack() throws {
        let interleaving = try PostgreSQLInterleaving()
        let storage = try engine(interleaving)
        var times: [Date] = []
        for n in 1...6 {
            clock.advance(seconds: 10)
            try storage.write { tx in try tx.audit.record(AuditEvent(.login, userID: Int64(n))) }
            times.append(clock.now().addingTimeInterval(1))
        }
        let cutoffs = times
        try interleaving.pause(after: "INSERT", on: "audit_events", when: "NEW.event_type = 'audit_pruned'")
        try interleaving.hold()
        let actor = AdminActor(name: "cli:tester")
        let later = Background { try storage.write { tx in try tx.audit.prune(before: cutoffs[3], actor: actor) } }
        #expect(try interleaving.waitUntil(blocked: 1))
        let earlier = Background { try storage.write { tx in try tx.audit.prune(before: cutoffs[1], actor: actor) } }
        #expect(try interleaving.waitUntil(blocked: 2, or: { earlier.isDone }))
        try interleaving.release()

        #expect(try later.result() == 4)
        _ = try earlier.result()
        #expect(try storage.read { tx in try tx.audit.verify() } == .intact(count: 3))
    }

    struct Unexpected: Error {
        init(_ value: Any) {}
    }
}

/// A browser-less sign-in of HH user 1001 through ``LoginFlow``, on HH as ``HHLikeFake`` plays it.
struct SignInDriver: Sendable {
    let flow: LoginFlow
    let hh: HHLikeFake

    init(storage: PostgreSQLEngine, clock: ManualClock) {
        self.init(storage: storage, states: storage.stores.states, clock: clock)
    }

    /// `storage`: the engine, or one wrapping it (``HookedEngine``).
    init(storage: any StorageEngine, states: LoginStateStore, clock: ManualClock) {
        hh = HHLikeFake(clock: clock)
        flow = LoginFlow(
            storage: storage, states: states,
            client: HHClient(settings: Fixtures.headHunter(), transport: hh.transport, clock: clock), clock: clock,
            failureSampler: FailureAuditSampler(),
            admission: CodeExchangeAdmission(perClientPerMinute: 30, maxInFlight: 4),
            metrics: LoginMetrics(registry: PrometheusCollectorRegistry()), rateLimits: nil, logger: Fixtures.logger,
            browserSessionLifetimeSeconds: nil)
    }

    /// The access token HH issues for the first sign-in.
    var accessToken: String { "access-1001-1" }

    func complete() throws -> LoginFlow.SignedIn {
        let start = try flow.authorizeURL(redirectURI: nil, returnTo: nil)
        let state = try #require(GatewayHarness.query(of: start.authorizeURL)["state"])
        do {
            return try flow.complete(
                .init(state: state, code: "code-1001", error: nil, loginCookie: start.binding.cookieValue),
                from: ClientOrigin(clientAddress: "203.0.113.7", userAgent: "UnitTest/1.0"))
        } catch {
            throw error.underlying
        }
    }
}

/// An engine whose write transactions call `hook` once, on the test's first reach for one store
/// (by default the revocation queue, just before a pair moves there), inside the transaction.
final class HookedEngine: StorageEngine, @unchecked Sendable {
    /// The store whose first reach fires the hook.
    enum Reach: Sendable {
        case users, sessions, revocations
    }

    let base: any StorageEngine
    let reach: Reach
    private let hook: Locked<(() throws -> Void)?>

    init(_ base: any StorageEngine, on reach: Reach = .revocations, hook: @escaping () throws -> Void) {
        self.base = base
        self.reach = reach
        self.hook = Locked(hook)
    }

    var sessionReads: any SessionReadPath { base.sessionReads }

    func read<T>(_ body: (any StoreReads) throws -> T) throws -> T { try base.read(body) }

    func write<T>(_ body: (any StoreWrites) throws -> T) throws -> T {
        try base.write { tx in try body(Hooked(base: tx, engine: self)) }
    }

    /// The hook, once, when `reached` is the store it waits for. A failing hook fails the test
    /// through its expectations; the write goes on.
    func fire(on reached: Reach) {
        guard reached == reach else { return }
        try? fire()
    }

    /// The hook, once.
    func fire() throws {
        guard
            let hook = hook.withLock({ hook in
                defer { hook = nil }; return hook
            })
        else { return }
        try hook()
    }

    private struct Hooked: StoreWrites {
        let base: any StoreWrites
        let engine: HookedEngine
        var sessions: any SessionWrites {
            engine.fire(on: .sessions)
            return base.sessions
        }
        var users: any UserWrites {
            engine.fire(on: .users)
            return base.users
        }
        var whitelist: any WhitelistWrites { base.whitelist }
        var states: any LoginStateWrites { base.states }
        var codes: any ExchangeCodeWrites { base.codes }
        var tokens: any HHTokenWrites { base.tokens }
        var revocations: any RevocationWrites {
            engine.fire(on: .revocations)
            return base.revocations
        }
        var audit: any AuditWrites { base.audit }
    }
}
