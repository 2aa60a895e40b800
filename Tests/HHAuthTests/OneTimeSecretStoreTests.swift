import Foundation
import GRDB
import Testing

@testable import HHAuth

/// `LoginStateStore` (OAuth `state`) and `ExchangeCodeStore`: one-time, expiring, stored hashed.
@Suite("LoginStateStore and ExchangeCodeStore")
struct OneTimeSecretStoreTests {
    let clock = ManualClock()
    let store: TestDatabase
    var database: AppDatabase { store.database }

    init() throws {
        store = try TestDatabase()
    }

    /// Every column of every row of `table`, as text or bytes, for "the raw secret is not stored" checks.
    private func tableContains(_ secret: String, table: String) throws -> Bool {
        try database.writer.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table)") {
                for column in row.columnNames {
                    let value = row[column] as DatabaseValue
                    if let text = String.fromDatabaseValue(value), text.contains(secret) { return true }
                    if let data = Data.fromDatabaseValue(value), data.range(of: Data(secret.utf8)) != nil { return true }
                }
            }
            return false
        }
    }

    // MARK: - states

    @Test func stateIsConsumedExactlyOnce() throws {
        let states = LoginStateStore(clock: clock, lifetimeSeconds: 600)
        let state = try database.writer.write { db in try states.issue(redirectURI: "https://app.example.com/done", in: db) }
        #expect(state.count >= 43)
        let first = try database.writer.write { db in try states.consume(state, in: db) }
        #expect(first == .some("https://app.example.com/done"))
        let second = try database.writer.write { db in try states.consume(state, in: db) }
        #expect(second == nil)
    }

    @Test func stateWithoutRedirectGivesSomeNil() throws {
        let states = LoginStateStore(clock: clock, lifetimeSeconds: 600)
        let state = try database.writer.write { db in try states.issue(redirectURI: nil, in: db) }
        let consumed = try database.writer.write { db in try states.consume(state, in: db) }
        #expect(consumed == .some(nil))
    }

    @Test func expiredStateIsRefused() throws {
        let states = LoginStateStore(clock: clock, lifetimeSeconds: 600)
        let (early, late) = try database.writer.write { db in
            (try states.issue(redirectURI: nil, in: db), try states.issue(redirectURI: nil, in: db))
        }
        clock.advance(seconds: 599)
        #expect(try database.writer.write { db in try states.consume(early, in: db) } == .some(nil))
        clock.advance(seconds: 2)
        #expect(try database.writer.write { db in try states.consume(late, in: db) } == nil)
    }

    @Test func unknownAndImplausibleStatesAreRefused() throws {
        let states = LoginStateStore(clock: clock, lifetimeSeconds: 600)
        for candidate in ["", "unknown-state", "with space", String(repeating: "a", count: 100_000), "тест"] {
            #expect(try database.writer.write { db in try states.consume(candidate, in: db) } == nil)
        }
    }

    @Test func stateIsStoredOnlyAsItsHash() throws {
        let states = LoginStateStore(clock: clock, lifetimeSeconds: 600)
        let state = try database.writer.write { db in try states.issue(redirectURI: nil, in: db) }
        #expect(try !tableContains(state, table: "oauth_states"))
        let hashes = try database.writer.read { db in try Data.fetchAll(db, sql: "SELECT state_hash FROM oauth_states") }
        #expect(hashes == [SecretToken.hash(state)])
        #expect(try !store.fileBytes().contains(subsequence: Array(state.utf8)))
    }

    @Test func issuedStatesAreDistinct() throws {
        let states = LoginStateStore(clock: clock, lifetimeSeconds: 600)
        let issued = try database.writer.write { db in try (0..<50).map { _ in try states.issue(redirectURI: nil, in: db) } }
        #expect(Set(issued).count == 50)
    }

    @Test func expiredStatesAreSwept() throws {
        let states = LoginStateStore(clock: clock, lifetimeSeconds: 600)
        try database.writer.write { db in
            _ = try states.issue(redirectURI: nil, in: db)
            _ = try states.issue(redirectURI: nil, in: db)
        }
        #expect(try database.writer.write { db in try states.deleteExpired(in: db) } == 0)
        clock.advance(seconds: 600)
        #expect(try database.writer.write { db in try states.deleteExpired(in: db) } == 2)
    }

    // MARK: - exchange codes

    @Test func exchangeCodeIsConsumedExactlyOnce() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let codes = ExchangeCodeStore(clock: clock, lifetimeSeconds: 300)
        let code = try database.writer.write { db in try codes.issue(userID: user.id, in: db) }
        #expect(try database.writer.write { db in try codes.consume(code, in: db) } == user.id)
        #expect(try database.writer.write { db in try codes.consume(code, in: db) } == nil)
    }

    @Test func expiredExchangeCodeIsRefused() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let codes = ExchangeCodeStore(clock: clock, lifetimeSeconds: 300)
        let (early, late) = try database.writer.write { db in
            (try codes.issue(userID: user.id, in: db), try codes.issue(userID: user.id, in: db))
        }
        clock.advance(seconds: 299)
        #expect(try database.writer.write { db in try codes.consume(early, in: db) } == user.id)
        clock.advance(seconds: 1)
        #expect(try database.writer.write { db in try codes.consume(late, in: db) } == nil)
        // An expired code is gone for good, even if the clock were to go back.
        #expect(try database.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM exchange_codes") } == 0)
    }

    @Test func exchangeCodeIsStoredOnlyAsItsHash() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let codes = ExchangeCodeStore(clock: clock, lifetimeSeconds: 300)
        let code = try database.writer.write { db in try codes.issue(userID: user.id, in: db) }
        #expect(try !tableContains(code, table: "exchange_codes"))
        #expect(try database.writer.read { db in try Data.fetchAll(db, sql: "SELECT code_hash FROM exchange_codes") } == [
            SecretToken.hash(code)
        ])
        #expect(try !store.fileBytes().contains(subsequence: Array(code.utf8)))
        #expect(try database.writer.write { db in try codes.consume("not-a-code", in: db) } == nil)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        return Data(self).range(of: Data(needle)) != nil
    }
}
