import Foundation
import GRDB
import Testing

@testable import HHAuth

/// The revocation queue's own guarantees: its pairs live through key rotation, and a pair no key
/// opens any more neither blocks the others nor stops a rotation.
@Suite("Revocation queue")
struct RevocationQueueTests {
    let clock = ManualClock()
    let store: TestDatabase
    let services: DomainServices
    let hh = FakeHH()

    init() throws {
        store = try TestDatabase()
        services = DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key()), clock: clock)
        hh.on(Fixtures.apiURL + "/oauth/token") { _ in HHHTTPResponse(status: 204, body: []) }
    }

    private func queue(_ record: HHTokenRecord, in services: DomainServices) throws {
        try services.database.write { db in try services.revocations.enqueue(record, in: db) }
    }

    private func pair(_ name: String) -> HHTokenRecord {
        HHTokenRecord(
            userID: 1, accessToken: "access-\(name)", refreshToken: "refresh-\(name)",
            expiresAt: clock.now().addingTimeInterval(3600), version: 0)
    }

    private var revoked: [String] {
        hh.requests(to: Fixtures.apiURL + "/oauth/token", method: "DELETE").compactMap { $0.headers["Authorization"] }
    }

    private func janitor(_ services: DomainServices) -> Janitor {
        services.janitor(
            logger: Fixtures.logger, revoker: HHClient(settings: Fixtures.headHunter(), transport: hh, clock: clock))
    }

    private func queued() throws -> Int {
        try store.database.read { db in try services.revocations.count(in: db) }
    }

    /// `keys rotate` run while the service still has only the old key: pairs sealed under the new
    /// one wait for a process that has it, and do not hold up the others.
    @Test func pairsUnderAKeyThisProcessLacksWaitAndDoNotStarveTheRest() throws {
        let newer = DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key(3)), clock: clock)
        for index in 0..<25 { try queue(pair("later-\(index)"), in: newer) }
        clock.advance(seconds: 1)
        try queue(pair("good"), in: services)
        #expect(try janitor(services).revokeDue() == 1)
        #expect(revoked == ["Bearer access-good"])
        #expect(try queued() == 25)
        // The process that holds the new key revokes them.
        #expect(try janitor(newer).revokeDue() == 25)
        #expect(try queued() == 0)
    }

    @Test func pairsAKnownKeyCannotOpenAreDroppedAndDoNotStarveTheRest() throws {
        for index in 0..<25 { try queue(pair("torn-\(index)"), in: services) }
        try store.database.write { db in try db.execute(sql: "UPDATE hh_revocations SET access_token = x'00'") }
        clock.advance(seconds: 1)
        try queue(pair("good"), in: services)
        #expect(try janitor(services).revokeDue() == 1)
        #expect(revoked == ["Bearer access-good"])
        #expect(try queued() == 0)
    }

    /// Anyone with an HH account can queue pairs no user holds (sign-ins off the whitelist); the
    /// pairs of our users are revoked first.
    @Test func pairsOfOurUsersGoBeforePairsNoUserHolds() throws {
        for index in 0..<5 {
            var stranger = pair("stranger-\(index)")
            stranger.userID = 0
            try queue(stranger, in: services)
        }
        clock.advance(seconds: 1)
        try queue(pair("user"), in: services)
        let due = try store.database.write { db in try services.revocations.due(limit: 1, in: db) }
        #expect(due.entries.map(\.record.accessToken) == ["access-user"])
    }

    @Test func keyRotationReSealsQueuedPairsAndSkipsOnesNoKeyOpens() throws {
        try queue(pair("a"), in: services)
        let gone = DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key(3)), clock: clock)
        try queue(pair("lost"), in: gone)
        let newKey = Fixtures.key(9)
        let rotating = DomainServices(
            database: store.database, vault: TokenVault(current: newKey, old: [Fixtures.key()]), clock: clock)
        #expect(try KeyRotation(services: rotating).rotate(actor: AdminActor(name: "cli:test")) == 1)
        let onlyNew = DomainServices(database: store.database, vault: TokenVault(current: newKey), clock: clock)
        let due = try store.database.write { db in try onlyNew.revocations.due(limit: 10, in: db) }
        #expect(due.entries.map(\.record.accessToken) == ["access-a"])
        // The pair under the key nobody here holds is left for whoever has it.
        #expect(due.unreadable == 0)
        #expect(try queued() == 2)
    }
}
