import Foundation
import GRDB
import Testing

@testable import HHAuth

/// The stores' tests run on both engines (``EngineKind``): each takes the engine as its argument.
@Suite("Whitelist and UserStore")
struct WhitelistAndUserTests {
    let clock = ManualClock()

    private func fresh(_ kind: EngineKind) throws -> TestStorage {
        try TestStorage(kind, clock: clock)
    }

    @Test(arguments: EngineKind.allCases)
    func allowAddsAnActiveEntry(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let entry = try storage.write { tx in try tx.whitelist.allow("174714255", comment: "коллега 🎉") }
        #expect(entry.hhUserID == "174714255")
        #expect(entry.comment == "коллега 🎉")
        #expect(entry.isActive)
        #expect(entry.createdAt == clock.now())
        #expect(try store.allowed("174714255"))
        #expect(try !store.allowed("999"))
    }

    @Test(arguments: EngineKind.allCases)
    func removeIsASoftDelete(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let entry = try storage.write { tx in try tx.whitelist.allow("1001", comment: "first") }
        #expect(try storage.write { tx in try tx.whitelist.remove("1001") })
        #expect(try !store.allowed("1001"))
        let kept = try storage.read { tx in try tx.whitelist.find("1001") }
        #expect(kept?.isActive == false)
        #expect(kept?.id == entry.id)
        #expect(try storage.write { tx in try tx.whitelist.remove("424242") } == false)
    }

    @Test(arguments: EngineKind.allCases)
    func allowReactivatesARemovedEntry(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let first = try storage.write { tx in try tx.whitelist.allow("1001", comment: "original") }
        _ = try storage.write { tx in try tx.whitelist.remove("1001") }
        clock.advance(seconds: 60)
        let again = try storage.write { tx in try tx.whitelist.allow("1001", comment: nil) }
        #expect(again.isActive)
        #expect(again.id == first.id)
        #expect(again.comment == "original")
        #expect(again.createdAt == first.createdAt)
        #expect(try store.allowed("1001"))
        let renamed = try storage.write { tx in try tx.whitelist.allow("1001", comment: "new") }
        #expect(renamed.comment == "new")
    }

    @Test(arguments: EngineKind.allCases)
    func seedDoesNotResurrectRemovedIds(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        try storage.write { tx in
            try tx.whitelist.seed(["1001", "2002"])
            _ = try tx.whitelist.remove("1001")
        }
        try storage.write { tx in try tx.whitelist.seed(["1001", "2002", "3003"]) }
        #expect(try !store.allowed("1001"))
        #expect(try store.allowed("2002"))
        #expect(try store.allowed("3003"))
        let seeded = try storage.read { tx in try tx.whitelist.find("3003") }
        #expect(seeded?.comment == "INITIAL_ALLOWED_USERS")
    }

    @Test(arguments: EngineKind.allCases)
    func listCanShowOnlyActiveEntries(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        try storage.write { tx in
            try tx.whitelist.allow("1", comment: nil)
            try tx.whitelist.allow("2", comment: nil)
            try tx.whitelist.allow("3", comment: nil)
            _ = try tx.whitelist.remove("2")
        }
        let all = try storage.read { tx in try tx.whitelist.page(activeOnly: false, limit: 1000, offset: 0)
        }
        let active = try storage.read { tx in
            try tx.whitelist.page(activeOnly: true, limit: 1000, offset: 0)
        }
        #expect(all.map(\.hhUserID) == ["1", "2", "3"])
        #expect(active.map(\.hhUserID) == ["1", "3"])
    }

    @Test(arguments: EngineKind.allCases)
    func aRemovedEntryComesBackWithoutItsGroupsUnlessGivenThem(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        try storage.write { tx in
            try tx.whitelist.allow("1001", comment: nil, groups: ["ops"])
            _ = try tx.whitelist.remove("1001")
            try tx.whitelist.allow("1001", comment: nil)
        }
        #expect(try store.storedGroups("1001") == "")
        try storage.write { tx in
            _ = try tx.whitelist.remove("1001")
            try tx.whitelist.allow("1001", comment: nil, groups: ["dev"])
            try tx.whitelist.allow("1001", comment: nil)
        }
        #expect(try store.storedGroups("1001") == "dev", "an active entry keeps its groups")
    }

    @Test(arguments: EngineKind.allCases)
    func groupsAreSetKeptReplacedAndClearedInTheirStoredFormat(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let entry = try storage.write { tx in
            try tx.whitelist.allow("1001", comment: "ops", groups: ["ops", "db-admins", "ops", "a_1"])
        }
        #expect(entry.groups == ["a_1", "db-admins", "ops"])
        #expect(try store.storedGroups("1001") == "a_1,db-admins,ops")
        #expect(
            try storage.read { tx in try tx.whitelist.find("1001").flatMap { $0.isActive ? $0.groups : nil } }
                == ["a_1", "db-admins", "ops"])

        let kept = try storage.write { tx in try tx.whitelist.allow("1001", comment: nil) }
        #expect(kept.groups == ["a_1", "db-admins", "ops"])
        #expect(kept.comment == "ops")
        let replaced = try storage.write { tx in try tx.whitelist.allow("1001", comment: nil, groups: ["viewers"])
        }
        #expect(replaced.groups == ["viewers"])
        #expect(try store.storedGroups("1001") == "viewers")
        let cleared = try storage.write { tx in try tx.whitelist.allow("1001", comment: nil, groups: []) }
        #expect(cleared.groups == [])
        #expect(try store.storedGroups("1001") == "")
        #expect(
            try storage.read { tx in try tx.whitelist.find("1001").flatMap { $0.isActive ? $0.groups : nil } }
                == [])
    }

    @Test(arguments: EngineKind.allCases)
    func newEntriesAndSeededOnesHaveNoGroups(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        try storage.write { tx in
            try tx.whitelist.allow("1", comment: nil)
            try tx.whitelist.seed(["2"])
        }
        #expect(try store.storedGroups("1") == "")
        #expect(try store.storedGroups("2") == "")
        #expect(try storage.read { tx in try tx.whitelist.find("2") }?.groups == [])
    }

    @Test(arguments: EngineKind.allCases)
    func groupsOfARemovedOrUnknownIdAreNil(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        try storage.write { tx in
            try tx.whitelist.allow("1", comment: nil, groups: ["ops"])
            _ = try tx.whitelist.remove("1")
        }
        #expect(
            try storage.read { tx in try tx.whitelist.find("1").flatMap { $0.isActive ? $0.groups : nil } } == nil
        )
        #expect(
            try storage.read { tx in try tx.whitelist.find("2").flatMap { $0.isActive ? $0.groups : nil } } == nil
        )
        // Reactivated without groups, it is in none.
        _ = try storage.write { tx in try tx.whitelist.allow("1", comment: nil) }
        #expect(
            try storage.read { tx in try tx.whitelist.find("1").flatMap { $0.isActive ? $0.groups : nil } } == [])
    }

    @Test(arguments: ["a", "0", "ops", "db-admins", "a_b-c", "9lives", String(repeating: "z", count: 32)])
    func validGroupNames(name: String) { #expect(WhitelistGroups.isValidName(name)) }

    @Test(arguments: [
        "", "Ops", "-ops", "_ops", "ops team", "a,b", "a.b", "опс", "ops\n", String(repeating: "z", count: 33),
    ])
    func invalidGroupNames(name: String) {
        #expect(!WhitelistGroups.isValidName(name))
        #expect(throws: AdminError.invalidGroupName) { try WhitelistGroups.normalized(["ops", name]) }
    }

    @Test func atMostSixteenDistinctGroups() throws {
        let sixteen = (0..<16).map { "g\($0)" }
        #expect(try WhitelistGroups.normalized(sixteen + sixteen).count == 16)
        #expect(throws: AdminError.tooManyGroups) { try WhitelistGroups.normalized(sixteen + ["g16"]) }
    }

    @Test(arguments: ["1", "174714255", "12345678901234567890"])
    func validUserIds(id: String) { #expect(HHUserID.isValid(id)) }

    @Test(arguments: ["", "abc", "12a", "-1", " 1", "123456789012345678901", "١٢٣"])
    func invalidUserIds(id: String) { #expect(!HHUserID.isValid(id)) }

    // MARK: - users

    @Test(arguments: EngineKind.allCases)
    func upsertRoundTripsCyrillicNames(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let profile = HHProfile(
            id: "174714255", firstName: "Иван", lastName: "Петров", middleName: "Сергеевич", email: "иван@пример.рф")
        let user = try storage.write { tx in try tx.users.upsert(profile) }
        #expect(user.hhUserID == "174714255")
        #expect(user.fullName == "Иван Сергеевич Петров")
        #expect(user.email == "иван@пример.рф")
        #expect(user.isActive)
        let found = try storage.read { tx in try tx.users.find(id: user.id) }
        #expect(found == user)
        #expect(try storage.read { tx in try tx.users.find(hhUserID: "174714255") } == user)
    }

    @Test(arguments: EngineKind.allCases)
    func upsertUpdatesTheSameRow(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let first = try storage.write { tx in
            try tx.users.upsert(
                HHProfile(id: "1001", firstName: "Ёжик", lastName: "Туманов", email: "a@example.com"))
        }
        clock.advance(seconds: 3600)
        let second = try storage.write { tx in
            try tx.users.upsert(
                HHProfile(id: "1001", firstName: "Ёжик", lastName: "Туманный", email: "b@example.com"))
        }
        #expect(second.id == first.id)
        #expect(second.fullName == "Ёжик Туманный")
        #expect(second.email == "b@example.com")
        #expect(second.createdAt == first.createdAt)
        #expect(second.updatedAt == first.updatedAt.addingTimeInterval(3600))
    }

    @Test func fullNameSkipsMissingParts() {
        #expect(HHProfile(id: "1", firstName: "Анна", lastName: nil, middleName: "  ").fullName == "Анна")
        #expect(HHProfile(id: "1").fullName == "")
    }
}

extension TestStorage {
    fileprivate func allowed(_ id: String) throws -> Bool {
        try engine.read { tx in try tx.whitelist.isAllowed(id) }
    }

    /// The entry's groups as stored (names joined by commas), read behind the store's back.
    fileprivate func storedGroups(_ id: String) throws -> String? {
        try text("SELECT groups FROM allowed_users WHERE hh_user_id = '\(id)'")
    }
}
