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
        try services.database.writer.write { db in try services.revocations.enqueue(record, in: db) }
    }

    private func pair(_ name: String) -> HHTokenRecord {
        HHTokenRecord(
            userID: 1, accessToken: "access-\(name)", refreshToken: "refresh-\(name)",
            expiresAt: clock.now().addingTimeInterval(3600), version: 0)
    }

    private var revoked: [String] {
        hh.requests(to: Fixtures.apiURL + "/oauth/token", method: "DELETE").compactMap { $0.headers["Authorization"] }
    }

    @Test func pairsNoKeyOpensAreDroppedAndDoNotStarveTheRest() throws {
        // 25 pairs sealed under a key this service no longer has, queued before the good one.
        let gone = DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key(3)), clock: clock)
        for index in 0..<25 { try queue(pair("lost-\(index)"), in: gone) }
        clock.advance(seconds: 1)
        try queue(pair("good"), in: services)
        let janitor = services.janitor(
            logger: Fixtures.logger, revoker: HHClient(settings: Fixtures.headHunter(), transport: hh, clock: clock))
        #expect(try janitor.revokeDue() == 1)
        #expect(revoked == ["Bearer access-good"])
        #expect(try store.database.writer.read { db in try services.revocations.count(in: db) } == 0)
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
        let due = try store.database.writer.write { db in try onlyNew.revocations.due(limit: 10, in: db) }
        #expect(due.entries.map(\.record.accessToken) == ["access-a"])
        #expect(due.unreadable == 1)
    }
}
