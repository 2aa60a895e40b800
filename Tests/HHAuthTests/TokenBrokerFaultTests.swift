import Foundation
import GRDB
import Testing

@testable import HHAuth

/// Faults after HH has answered a refresh, and callers that pile up on one: the rotated pair is
/// never lost, never resurrects ended sessions, and waiting threads stay bounded.
extension TokenBrokerTests {
    /// Access tokens of the pairs waiting in the revocation queue.
    private func queuedForRevocation() throws -> [String] {
        try database.write { db in try revocations.due(limit: 100, in: db) }.entries.map(\.record.accessToken)
            .sorted()
    }

    private func broker(
        maxConcurrentCalls: Int = 64, timing: TokenBroker.Timing, metrics: ServiceMetrics? = nil
    ) -> TokenBroker {
        TokenBroker(
            storage: store.storage(clock: clock), tokens: tokens,
            client: HHClient(settings: Fixtures.headHunter(maxConcurrentCalls: maxConcurrentCalls), transport: hh),
            clock: clock, timing: timing, metrics: metrics)
    }

    // MARK: - Item 1: a rotated pair survives a database that refuses to save it

    /// HH rotates the pair (access-2/refresh-2) and the database locks up right after, the way a
    /// long `audit prune` does; the stored token has expired.
    private func lockTheDatabaseWhenHHRotates() throws -> WriteLockHolder {
        let lock = try WriteLockHolder(path: store.path)
        hh.on(Fixtures.tokenURL) { _ in
            try lock.take()
            return HHHTTPResponse(
                status: 200, body: Array(Fixtures.tokenJSON(access: "access-2", refresh: "refresh-2").utf8))
        }
        clock.advance(seconds: 3601)
        return lock
    }

    @Test func rotatedPairIsKeptWhileTheDatabaseRefusesItAndSavedLater() throws {
        let lock = try lockTheDatabaseWhenHHRotates()

        // The save fails past its retries: the caller still gets the new token, not a 503 or a logout.
        #expect(try token().accessToken == "access-2")
        #expect(try stored()?.refreshToken == "refresh-1")
        // While the database stays locked, the next caller is handed the kept pair: no second refresh.
        #expect(try token().accessToken == "access-2")
        #expect(refreshCalls.count == 1)

        try lock.release()
        // The janitor's pass saves it; from then on the database answers.
        #expect(broker.saveUnsavedPairs() == 0)
        let saved = try #require(try stored())
        #expect(saved.accessToken == "access-2")
        #expect(saved.refreshToken == "refresh-2")
        #expect(try token().accessToken == "access-2")
        #expect(refreshCalls.count == 1)
        #expect(try auditTypes() == ["token_refresh"])
        #expect(try database.read { db in try sessions.liveCount(userID: userID, in: db) } == 1)

        // The lease is gone with the save, and the next refresh presents the new refresh token.
        answerRefresh(Fixtures.tokenJSON(access: "access-3", refresh: "refresh-3"))
        #expect(try token(force: true).accessToken == "access-3")
        #expect(FakeHH.form(try #require(refreshCalls.last))["refresh_token"] == "refresh-2")
    }

    @Test func aKeptPairIsSavedByTheNextCallOnceTheDatabaseIsBack() throws {
        let lock = try lockTheDatabaseWhenHHRotates()
        #expect(try token().accessToken == "access-2")
        try lock.release()
        #expect(try token().accessToken == "access-2")
        #expect(try stored()?.refreshToken == "refresh-2")
        #expect(refreshCalls.count == 1)
    }

    // MARK: - Item 2: saving a refreshed pair cannot resurrect ended sessions

    @Test func sessionsEndedWhileHHAnsweredStayEndedAndTheNewPairIsRevoked() throws {
        let termination = SessionTermination()
        hh.on(Fixtures.tokenURL) { [storage = store.storage(clock: clock), userID] _ in
            // A logout, an admin or a whitelist removal ends the sessions while HH is answering.
            _ = try storage.write { tx in try termination.endAll(userID: userID, in: tx) }
            return HHHTTPResponse(
                status: 200, body: Array(Fixtures.tokenJSON(access: "access-2", refresh: "refresh-2").utf8))
        }
        clock.advance(seconds: 3601)

        #expect(throws: SessionError.invalid) { try token() }
        #expect(try stored() == nil)
        #expect(try database.read { db in try sessions.liveCount(userID: userID, in: db) } == 0)
        // The ended sessions' pair and the one HH just issued both wait for revocation.
        #expect(try queuedForRevocation() == ["access-1", "access-2"])
        #expect(!(try auditTypes().contains("token_refresh")))
    }

    @Test func aLoginThatReplacedThePairWhileHHAnsweredWins() throws {
        hh.on(Fixtures.tokenURL) { [database, tokens, clock, userID] _ in
            try database.write { db in
                try tokens.save(
                    userID: userID, accessToken: "access-login", refreshToken: "refresh-login",
                    expiresAt: clock.now().addingTimeInterval(3600), in: db)
            }
            return HHHTTPResponse(
                status: 200, body: Array(Fixtures.tokenJSON(access: "access-2", refresh: "refresh-2").utf8))
        }
        clock.advance(seconds: 3601)

        #expect(try token().accessToken == "access-login")
        #expect(try stored()?.refreshToken == "refresh-login")
        #expect(try queuedForRevocation() == ["access-2"])
    }

    @Test func aRowCreatedAfterADeleteIsNotMistakenForTheOneARefreshRead() throws {
        // Versions of new rows are random: a refresh that read version v of a deleted row must not
        // match a new row that happens to start at the same number.
        var versions = Set<Int64>()
        for round in 0..<20 {
            try database.write { db in
                try db.execute(sql: "DELETE FROM hh_tokens WHERE user_id = ?", arguments: [userID])
                try tokens.save(
                    userID: userID, accessToken: "a\(round)", refreshToken: "r\(round)", expiresAt: clock.now(), in: db)
            }
            versions.insert(try #require(try stored()).version)
        }
        #expect(versions.count == 20)
    }

    // MARK: - Item 3: waiting on someone else's refresh cannot starve the service

    /// The stored token has expired, and HH holds the refresh until `release` opens; `atHH` opens
    /// once the refresh is there.
    private func holdTheRefreshAtHH() -> (release: Gate, atHH: Gate) {
        let release = Gate()
        let atHH = Gate()
        hh.on(Fixtures.tokenURL) { _ in
            atHH.open()
            release.wait(timeoutSeconds: 30)
            return HHHTTPResponse(
                status: 200, body: Array(Fixtures.tokenJSON(access: "access-2", refresh: "refresh-2").utf8))
        }
        clock.advance(seconds: 3601)
        return (release, atHH)
    }

    @Test func waitersCountAgainstTheHHCallLimitAndTheRestAnswerBusyAtOnce() throws {
        let metrics = ServiceMetrics()
        let limited = broker(maxConcurrentCalls: 4, timing: .init(leaseSeconds: 20), metrics: metrics)
        let (gate, atHH) = holdTheRefreshAtHH()
        let callers = 12
        let results = Locked<[Result<String, any Error>]>([])
        let done = DispatchGroup()
        for _ in 0..<callers {
            done.enter()
            Thread { [sessionID, origin] in
                let result = Result {
                    try limited.token(sessionID: sessionID, force: false, origin: origin).accessToken
                }
                results.withLock { $0.append(result) }
                done.leave()
            }.start()
        }
        #expect(atHH.wait(timeoutSeconds: 10))
        // Everyone past the 4 places (1 leader + 3 waiters) is refused while HH still holds the refresh.
        let deadline = Date().addingTimeInterval(10)
        while results.withLock({ $0.count }) < callers - 4 && Date() < deadline { usleep(1000) }
        let early = results.withLock { $0 }
        #expect(early.count == callers - 4)
        #expect(
            early.allSatisfy { if case .failure(let error) = $0 { (error as? HHClientError) == .busy } else { false } })
        gate.open()
        #expect(done.wait(timeout: .now() + 30) == .success)
        let late = results.withLock { Array($0.dropFirst(callers - 4)) }
        #expect(late.compactMap { try? $0.get() } == Array(repeating: "access-2", count: 4))
        #expect(refreshCalls.count == 1)
        // One refresh, and it succeeded: the refused requests started none (they are rate-limited,
        // not failed refreshes, or an HH slow enough to fill the places would read as failing).
        let exposition = Exposition(metrics.exposition())
        #expect(exposition[#"hh_auth_token_refreshes_total{result="success"}"#] == 1)
        #expect(exposition[#"hh_auth_token_refreshes_total{result="failed"}"#] == 0)
    }

    @Test func aWaiterGivesUpAfterItsBoundWithA503() throws {
        let bounded = broker(timing: .init(leaseSeconds: 20, flightWaitSeconds: 0.2))
        let (gate, atHH) = holdTheRefreshAtHH()
        let leader = DispatchGroup()
        leader.enter()
        Thread { [sessionID, origin] in
            _ = try? bounded.token(sessionID: sessionID, force: false, origin: origin)
            leader.leave()
        }.start()
        #expect(atHH.wait(timeoutSeconds: 10))
        let error = #expect(throws: TokenRefreshError.stillInProgress) {
            try bounded.token(sessionID: sessionID, force: false, origin: origin)
        }
        let mapped = try #require(error.flatMap { ErrorMapping.httpError(for: $0) })
        #expect(mapped.status == 503)
        #expect(mapped.headers.contains { $0.name == "Retry-After" })
        gate.open()
        #expect(leader.wait(timeout: .now() + 30) == .success)
    }

    @Test func aLeaseHeldByAnotherProcessIsReportedAsSuchNotAsHHDown() throws {
        let impatient = broker(timing: .init(leaseSeconds: 0.2))
        let version = try #require(try stored()).version
        #expect(
            try database.write { db in
                try tokens.acquireLease(
                    userID: userID, version: version, owner: "another-process", seconds: 7200, in: db)
            })
        clock.advance(seconds: 3601)
        let error = #expect(throws: TokenRefreshError.inProgressElsewhere) {
            try impatient.token(sessionID: sessionID, force: false, origin: origin)
        }
        let mapped = try #require(error.flatMap { ErrorMapping.httpError(for: $0) })
        #expect(mapped.status == 503)
        #expect(mapped.detail != ErrorMapping.hhUnavailable)
        #expect(mapped.headers.contains { $0.name == "Retry-After" })
        #expect(refreshCalls.isEmpty)
    }
}

extension TokenBrokerTests {
    @Test func savingARotatedPairTwiceIsNotMistakenForEndedSessions() throws {
        let version = try #require(try stored()).version
        let rotated = RotatedTokenPair(
            userID: userID, accessToken: "access-2", refreshToken: "refresh-2",
            expiresAt: clock.now().addingTimeInterval(3600), replacesVersion: version)
        // A commit whose answer was lost (IOERR after the write landed), or a janitor pass that
        // took its list before a request saved the pair: the second save must see its own work.
        #expect(try database.write { db in try tokens.saveRefreshed(rotated, in: db) } == .saved)
        #expect(try database.write { db in try tokens.saveRefreshed(rotated, in: db) } == .savedBefore)
        #expect(try stored()?.refreshToken == "refresh-2")
        #expect(try database.read { db in try revocations.count(in: db) } == 0)
    }
}

extension TokenBrokerTests {
    @Test func aKeptPairOfAReplacedRowIsNotHandedOut() throws {
        let patient = broker(timing: .init(leaseSeconds: 20, saveRetrySeconds: 0.3, unsavedRetryPauseSeconds: 600))
        let lock = try lockTheDatabaseWhenHHRotates()
        #expect(try patient.token(sessionID: sessionID, force: false, origin: origin).accessToken == "access-2")
        try lock.release()
        // The user is removed and signs in again before the kept pair was saved: a new row.
        try database.write { db in
            try db.execute(sql: "DELETE FROM hh_tokens WHERE user_id = ?", arguments: [userID])
            try tokens.save(
                userID: userID, accessToken: "access-login", refreshToken: "refresh-login",
                expiresAt: clock.now().addingTimeInterval(3600), in: db)
        }
        #expect(try patient.token(sessionID: sessionID, force: false, origin: origin).accessToken == "access-login")
        #expect(try queuedForRevocation() == ["access-2"])
        #expect(try stored()?.refreshToken == "refresh-login")
    }
}

extension TokenBrokerTests {
    /// HH refuses the old refresh token for good while a login replaces the pair: the login's pair
    /// and sessions stand, and the caller is handed the login's token.
    @Test func aLoginThatReplacedThePairSurvivesHHRefusingTheOldRefreshToken() throws {
        hh.on(Fixtures.tokenURL) { [database, tokens, clock, userID] _ in
            try database.write { db in
                try tokens.save(
                    userID: userID, accessToken: "access-login", refreshToken: "refresh-login",
                    expiresAt: clock.now().addingTimeInterval(3600), in: db)
            }
            return HHHTTPResponse(
                status: 400, body: Array(#"{"error":"invalid_grant","error_description":"token deactivated"}"#.utf8))
        }
        clock.advance(seconds: 3601)
        let metrics = ServiceMetrics()
        let counted = broker(timing: .init(leaseSeconds: 20), metrics: metrics)
        #expect(try counted.token(sessionID: sessionID, force: false, origin: origin).accessToken == "access-login")
        #expect(try stored()?.refreshToken == "refresh-login")
        #expect(try database.read { db in try sessions.liveCount(userID: userID, in: db) } == 1)
        // HH refused a refresh token, but nothing was revoked: the login's pair and sessions stand.
        let exposition = Exposition(metrics.exposition())
        #expect(exposition[#"hh_auth_token_refreshes_total{result="revoked"}"#] == 0)
    }
}
