import Foundation
import GRDB
import Testing

@testable import HHAuth

/// Issue 9, item 11: the admin listings in pages (for the API) and by cursor (for the CLI).
@Suite("Admin listings")
struct AdminListingsTests {
    let clock = ManualClock()
    let store: TestDatabase
    let services: DomainServices

    init() throws {
        store = try TestDatabase()
        services = DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key()), clock: clock)
    }

    private func signIn(_ hhUserID: String, sessions count: Int) throws {
        try services.database.write { db in
            try services.whitelist.allow(hhUserID, comment: nil, in: db)
            let user = try services.users.upsert(HHProfile(id: hhUserID, firstName: "Ада"), in: db)
            for _ in 0..<count { _ = try services.sessions.create(userID: user.id, in: db) }
        }
    }

    @Test func sessionPagesAreNewestFirstWithTheFullTotalAndSkipExpiredSessions() throws {
        try signIn("1", sessions: 3)
        try signIn("2", sessions: 4)
        let administration = services.administration()
        let all = try administration.listSessions()
        #expect(all.count == 7)

        let first = try administration.sessionsPage(limit: 3, offset: 0)
        #expect(first.total == 7 && first.items == Array(all[0..<3]))
        #expect(try administration.sessionsPage(limit: 3, offset: 6).items == [all[6]])
        #expect(try administration.sessionsPage(limit: 3, offset: 7).items.isEmpty)

        let theirs = try administration.sessionsPage(hhUserID: "1", limit: 2, offset: 1)
        #expect(theirs.total == 3 && theirs.items.count == 2 && theirs.items.allSatisfy { $0.user.hhUserID == "1" })
        #expect(try administration.sessionsPage(hhUserID: "999", limit: 10, offset: 0).total == 0)

        var streamed: [SessionListing] = []
        try administration.forEachSession(hhUserID: "2") { streamed.append($0) }
        #expect(streamed == all.filter { $0.user.hhUserID == "2" })

        clock.advance(seconds: 721 * 3600)
        #expect(try administration.sessionsPage(limit: 10, offset: 0).total == 0)
    }

    @Test func userPagesFollowTheWhitelistOrder() throws {
        for id in ["10", "11", "12", "13"] { try signIn(id, sessions: 0) }
        let administration = services.administration()
        _ = try administration.remove(hhUserID: "11", by: AdminActor(name: "cli:tester"))
        let page = try administration.usersPage(activeOnly: false, limit: 2, offset: 1)
        #expect(page.total == 4 && page.items.map(\.hhUserID) == ["11", "12"])
        let active = try administration.usersPage(activeOnly: true, limit: 2, offset: 1)
        #expect(active.total == 3 && active.items.map(\.hhUserID) == ["12", "13"])
        var streamed: [String] = []
        try administration.forEachUser(activeOnly: true) { streamed.append($0.hhUserID) }
        #expect(streamed == ["10", "12", "13"])
    }

    @Test func batchedListingsCrossBatchesAndStopWhereTheyWereTold() throws {
        try signIn("1", sessions: 2 * Administration.batchSize + 5)
        let administration = services.administration()
        let newest = try administration.newestSessionID()
        // A session that starts after the listing did is left out of both passes.
        try signIn("1", sessions: 1)
        var ids: [String] = []
        try administration.forEachSession(throughID: newest) { ids.append($0.id) }
        #expect(ids.count == 2 * Administration.batchSize + 5 && Set(ids).count == ids.count)
        #expect(try ids == administration.listSessions().dropFirst().map(\.id))

        for index in 0..<(Administration.batchSize + 1) {
            try services.database.write { db in
                _ = try services.whitelist.allow(String(5000 + index), comment: nil, in: db)
            }
        }
        let lastEntry = try administration.newestUserEntryID()
        try services.database.write { db in _ = try services.whitelist.allow("999999", comment: nil, in: db) }
        var users: [String] = []
        try administration.forEachUser(activeOnly: false, throughID: lastEntry) { users.append($0.hhUserID) }
        // "1" was allowed first, by the sign-in above; "999999" came after the listing started.
        #expect(users == ["1"] + (0..<(Administration.batchSize + 1)).map { String(5000 + $0) }, "\(users.count) users")
    }
}
