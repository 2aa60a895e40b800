import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

@Suite("TokenBroker")
struct TokenBrokerTests {
    let clock = ManualClock()
    let store: TestDatabase
    let hh = FakeHH()
    let tokens: HHTokenStore
    let sessions: SessionStore
    let broker: TokenBroker
    let revocations: RevocationQueue
    let userID: Int64
    /// A live session of the user: the broker is driven the way `/auth/token` drives it.
    let sessionID: String
    let origin = ClientOrigin(clientAddress: "203.0.113.7")
    var database: AppDatabase { store.database }

    init() throws {
        store = try TestDatabase(busyTimeoutSeconds: 0.2)
        tokens = HHTokenStore(vault: TokenVault(current: Fixtures.key()), clock: clock)
        revocations = RevocationQueue(vault: TokenVault(current: Fixtures.key()), clock: clock, wake: WakeSignal())
        sessions = SessionStore(clock: clock, lifetimeSeconds: 720 * 3600)
        broker = TokenBroker(
            storage: store.storage(clock: clock), tokens: tokens,
            client: HHClient(settings: Fixtures.headHunter(maxConcurrentCalls: 64), transport: hh), clock: clock,
            timing: .init(leaseSeconds: 20, saveRetrySeconds: 0.3, unsavedRetryPauseSeconds: 0))
        userID = try Fixtures.user(in: store.database, clock: clock).id
        try store.database.write { [tokens, clock, userID] db in
            try tokens.save(
                userID: userID, accessToken: "access-1", refreshToken: "refresh-1",
                expiresAt: clock.now().addingTimeInterval(3600), in: db)
        }
        sessionID = try store.database.write { [sessions, userID] db in
            try sessions.create(userID: userID, in: db)
        }.sessionID
    }

    func token(force: Bool = false) throws -> AccessGrant {
        try broker.token(sessionID: sessionID, force: force, origin: origin)
    }

    var refreshCalls: [HHHTTPRequest] { hh.requests(to: Fixtures.tokenURL) }

    func stored() throws -> HHTokenRecord? {
        try database.read { db in try tokens.load(userID: userID, in: db) }
    }

    func auditTypes() throws -> [String] {
        try database.read { db in try String.fetchAll(db, sql: "SELECT event_type FROM audit_events ORDER BY id")
        }
    }

    func answerRefresh(status: Int = 200, _ json: String = Fixtures.tokenJSON(access: "access-2", refresh: "refresh-2"))
    {
        hh.on(Fixtures.tokenURL, status: status, json: json)
    }

    @Test func unexpiredTokenIsReturnedWithoutCallingHH() throws {
        answerRefresh()
        let record = try token()
        #expect(record.accessToken == "access-1")
        #expect(hh.requests.isEmpty)
    }

    @Test func expiredTokenIsRefreshedOnceAndStoredEncrypted() throws {
        answerRefresh()
        clock.advance(seconds: 3601)
        let record = try token()
        #expect(record.accessToken == "access-2")
        #expect(try stored()?.refreshToken == "refresh-2")
        #expect(record.expiresAt == clock.now().addingTimeInterval(1_209_600))
        #expect(refreshCalls.count == 1)
        let form = FakeHH.form(try #require(refreshCalls.first))
        #expect(form["grant_type"] == "refresh_token")
        #expect(form["refresh_token"] == "refresh-1")
        #expect(try stored()?.accessToken == "access-2")

        let row = try #require(try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM hh_tokens") })
        for column in row.columnNames {
            let data = Data.fromDatabaseValue(row[column]) ?? Data((String.fromDatabaseValue(row[column]) ?? "").utf8)
            #expect(data.range(of: Data("access-2".utf8)) == nil, "column \(column)")
            #expect(data.range(of: Data("refresh-2".utf8)) == nil, "column \(column)")
        }
        #expect(!(try store.fileBytes().contains(subsequence: Array("refresh-2".utf8))))
        #expect(try auditTypes() == ["token_refresh"])

        // The new token is good now: no second call.
        #expect(try token().accessToken == "access-2")
        #expect(refreshCalls.count == 1)
    }

    @Test func concurrentCallersShareOneRefresh() throws {
        let callers = 32
        let gate = Gate()
        let started = Locked(0)
        let allStarted = DispatchSemaphore(value: 0)
        hh.on(Fixtures.tokenURL) { _ in
            // Hold the one refresh until every caller is under way, so they really overlap.
            gate.wait(timeoutSeconds: 10)
            return HHHTTPResponse(
                status: 200, body: Array(Fixtures.tokenJSON(access: "access-2", refresh: "refresh-2").utf8))
        }
        clock.advance(seconds: 3601)
        let results = Locked<[Result<String, any Error>]>([])
        let done = DispatchGroup()
        for _ in 0..<callers {
            done.enter()
            let thread = Thread { [broker, sessionID, origin] in
                if started.withLock({ count in
                    count += 1; return count
                }) == callers {
                    allStarted.signal()
                }
                let result = Result {
                    try broker.token(sessionID: sessionID, force: false, origin: origin).accessToken
                }
                results.withLock { $0.append(result) }
                done.leave()
            }
            thread.start()
        }
        #expect(allStarted.wait(timeout: .now() + 30) == .success)
        gate.open()
        #expect(done.wait(timeout: .now() + 60) == .success)
        let tokens = try results.withLock { try $0.map { try $0.get() } }
        #expect(tokens.count == callers)
        #expect(tokens.allSatisfy { $0 == "access-2" })
        #expect(refreshCalls.count == 1)
        #expect(try auditTypes() == ["token_refresh"])
    }

    @Test func tokenNotExpiredAnswerHandsOutTheCurrentToken() throws {
        answerRefresh(status: 400, #"{"error":"invalid_grant","error_description":"token not expired"}"#)
        let session = try database.write { db in try sessions.create(userID: userID, in: db) }
        let record = try token(force: true)
        #expect(record.accessToken == "access-1")
        #expect(refreshCalls.count == 1)
        #expect(try stored()?.accessToken == "access-1")
        #expect(try database.read { db in try sessions.find(sessionID: session.sessionID, in: db) } != nil)
    }

    @Test func deactivatedTokenEndsEverySessionOfTheUser() throws {
        answerRefresh(status: 400, #"{"error":"invalid_grant","error_description":"token deactivated"}"#)
        try database.write { db in
            _ = try sessions.create(userID: userID, in: db)
            _ = try sessions.create(userID: userID, in: db)
        }
        clock.advance(seconds: 3601)
        #expect(throws: SessionError.expired) { try token() }
        #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sessions") } == 0)
        #expect(try stored() == nil)
        let metadata = try database.read { db in
            try String.fetchAll(db, sql: "SELECT metadata FROM audit_events WHERE event_type = 'token_refresh_failed'")
        }
        #expect(metadata.count == 1)
        #expect(metadata.first?.contains(#""reason":"token deactivated""#) == true)
        #expect(metadata.first?.contains(#""sessions_ended":3"#) == true)
        // With the sessions gone, a later call is a clean 401, not an HH call.
        #expect(throws: SessionError.invalid) { try token() }
        #expect(refreshCalls.count == 1)
    }

    @Test func alreadyRefreshedWithoutANewerTokenEndsTheSessions() throws {
        answerRefresh(status: 400, #"{"error":"invalid_grant","error_description":"token has already been refreshed"}"#)
        _ = try database.write { db in try sessions.create(userID: userID, in: db) }
        clock.advance(seconds: 3601)
        #expect(throws: SessionError.expired) { try token() }
        #expect(try database.read { db in try sessions.liveCount(userID: userID, in: db) } == 0)
    }

    /// A wording HH has not documented may mean anything, a passing fault included: it must not end
    /// the user's sessions. It answers like HH being unavailable and keeps the pair.
    @Test func anUndocumentedRefusalKeepsTheSessionsAndThePair() throws {
        answerRefresh(status: 400, #"{"error":"invalid_grant","error_description":"try again in a moment"}"#)
        let session = try database.write { db in try sessions.create(userID: userID, in: db) }
        clock.advance(seconds: 3601)
        let error = #expect(throws: HHClientError.self) { try token() }
        #expect(error.flatMap { ErrorMapping.httpError(for: $0) }?.status == 502)
        #expect(try database.read { db in try sessions.find(sessionID: session.sessionID, in: db) } != nil)
        #expect(try stored()?.refreshToken == "refresh-1")
        #expect(try auditTypes() == ["token_refresh_failed"])
    }

    @Test(arguments: [500, 502, 429])
    func hhErrorIsUnavailableAndKeepsTheSession(status: Int) throws {
        answerRefresh(status: status, #"{"description":"Internal Server Error"}"#)
        try checkUnavailableKeepsEverything()
    }

    @Test func transportErrorIsUnavailableAndKeepsTheSession() throws {
        hh.on(Fixtures.tokenURL) { _ in throw HHTransportError("connection refused") }
        try checkUnavailableKeepsEverything()
    }

    private func checkUnavailableKeepsEverything() throws {
        let session = try database.write { db in try sessions.create(userID: userID, in: db) }
        clock.advance(seconds: 3601)
        let error = #expect(throws: HHClientError.self) { try token() }
        #expect(error?.grantError == nil)
        #expect(error != HHClientError.busy)
        let mapped = error.flatMap { ErrorMapping.httpError(for: $0) }
        #expect(mapped?.status == 502)
        #expect(try database.read { db in try sessions.find(sessionID: session.sessionID, in: db) } != nil)
        let kept = try #require(try stored())
        #expect(kept.accessToken == "access-1")
        #expect(kept.refreshToken == "refresh-1")
        #expect(try auditTypes() == ["token_refresh_failed"])
        // The lease was released: the next call tries HH again instead of waiting.
        answerRefresh()
        #expect(try token().accessToken == "access-2")
        #expect(refreshCalls.count == 2)
    }

    @Test func missingTokenMeansLogInAgain() throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM hh_tokens WHERE user_id = ?", arguments: [userID])
        }
        #expect(throws: SessionError.expired) { try token() }
        #expect(hh.requests.isEmpty)
    }
}
