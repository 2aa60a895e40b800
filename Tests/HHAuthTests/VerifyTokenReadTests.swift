import Foundation
import HTTPCore
import Testing
import WorkerThreads

@testable import HHAuth

/// `/auth/verify` with `VERIFY_PASS_ACCESS_TOKEN` reads the session's identity and the user's
/// token in one statement, not one each; on both engines. (What it answers is held by
/// `VerifyTests`: the token passes, and is refreshed through the broker on expiry.)
@Suite("Verify reads the token with the identity")
struct VerifyTokenReadTests {
    /// The engine's hot session reads, counted.
    final class CountingReads: SessionReadPath, Sendable {
        let base: any SessionReadPath
        let count = Lock(0)

        init(_ base: any SessionReadPath) { self.base = base }

        func token(idHash: Data, now: Double, programOnly: Bool) throws -> (
            userID: Int64, token: SessionLookup.SealedToken?
        )? {
            count.withLock { $0 += 1 }
            return try base.token(idHash: idHash, now: now, programOnly: programOnly)
        }

        func user(idHash: Data, now: Double) throws -> User? {
            count.withLock { $0 += 1 }
            return try base.user(idHash: idHash, now: now)
        }

        func identity(idHash: Data, now: Double, withToken: Bool) throws -> SessionIdentity? {
            count.withLock { $0 += 1 }
            return try base.identity(idHash: idHash, now: now, withToken: withToken)
        }
    }

    /// An engine whose hot session reads are counted.
    struct CountingEngine: StorageEngine {
        let base: any StorageEngine
        let reads: CountingReads
        var sessionReads: any SessionReadPath { reads }

        func read<T>(_ body: (any StoreReads) throws -> T) throws -> T { try base.read(body) }
        func write<T>(_ body: (any StoreWrites) throws -> T) throws -> T { try base.write(body) }
    }

    @Test(arguments: EngineKind.allCases)
    func oneStatementAnswersVerifyWithTheAccessToken(_ kind: EngineKind) throws {
        let clock = ManualClock()
        let store = try TestStorage(kind, clock: clock)
        let reads = CountingReads(store.engine.sessionReads)
        let engine = CountingEngine(base: store.engine, reads: reads)
        let user = try store.user("1001")
        let browser = try engine.write { tx in
            try tx.whitelist.seed(["1001"])
            try tx.tokens.save(
                userID: user.id, accessToken: "access-1", refreshToken: "refresh-1",
                expiresAt: clock.now().addingTimeInterval(3600))
            return try tx.sessions.create(userID: user.id, kind: .browser, lifetimeSeconds: nil)
        }
        let broker = TokenBroker(
            storage: engine, tokens: store.stores.tokens,
            client: HHClient(settings: Fixtures.headHunter(maxConcurrentCalls: 64), transport: FakeHH()), clock: clock,
            timing: .init(leaseSeconds: 20))
        let lookup = SessionLookup(storage: engine, clock: clock)
        let configuration = HHAuth.Configuration(
            headHunter: Fixtures.headHunter(),
            admin: .init(username: "admin", passwordHash: PasswordHashTests.sha512Admin),
            encryptionKey: Fixtures.key())
        let authentication = SessionCallerAuthentication(
            access: SessionAccess(
                lookup: lookup, clock: clock, liveness: SessionLiveness(idleTimeoutSeconds: nil),
                uses: SessionUseRecorder(storage: engine)),
            cookie: SessionCookie(domain: nil, lifetimeSeconds: 3600),
            signIn: SignInLocation(returnTargets: try Gateway.returnTargets(for: configuration)))
        var router = Router()
        VerifyHandlers(
            authentication: authentication,
            service: SessionService(
                storage: engine, broker: broker, termination: SessionTermination(), lookup: lookup),
            passAccessToken: true
        ).register(in: &router)
        let application = Application(router: router, metrics: ServiceMetrics().requests, logger: Fixtures.logger)

        let answer = application.respond(
            to: fastCGIRequest(
                "GET", "/auth/verify",
                headers: ["Host": "auth.example.com"].merging(VerifyTests.cookie(browser.sessionID)) { a, _ in a },
                extra: ["HH_AUTH_ORIGINAL_METHOD": "GET", "HH_AUTH_ORIGINAL_URI": "/demo/", "HTTPS": "on"]))
        #expect(answer.status == 200)
        #expect(answer.header("X-Auth-Request-User") == "1001")
        #expect(answer.header("X-Auth-Request-Access-Token") == "access-1")
        #expect(reads.count.withLock { $0 } == 1, "session reads per verify")
    }
}
