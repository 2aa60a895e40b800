import Foundation
import GRDB
import Testing

@testable import HHAuth

/// `LoginStateStore` (OAuth `state`) and `ExchangeCodeStore`: one-time, expiring, stored hashed;
/// states are sealed tokens, stored only once used.
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
        try database.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table)") {
                for column in row.columnNames {
                    let value = row[column] as DatabaseValue
                    if let text = String.fromDatabaseValue(value), text.contains(secret) { return true }
                    if let data = Data.fromDatabaseValue(value), data.range(of: Data(secret.utf8)) != nil {
                        return true
                    }
                }
            }
            return false
        }
    }

    // MARK: - states

    private static let done = "https://app.example.com/done"
    private static let other = "https://other.example.com/back"

    private func states(
        keys: [EncryptionKey] = [Fixtures.key()], redirects: [String] = [Self.done, Self.other]
    ) -> LoginStateStore {
        LoginStateStore(clock: clock, lifetimeSeconds: 600, keys: keys, clientRedirectURIs: redirects)
    }

    private func consume(_ state: String, with store: LoginStateStore? = nil) throws -> String?? {
        try database.write { db in try (store ?? states()).consume(state, in: db) }
    }

    @Test func stateIsConsumedExactlyOnce() throws {
        let state = try #require(states().issue(redirectURI: Self.done, boundTo: "browser-cookie"))
        #expect(state.count == 90)
        #expect(SecretToken.isPlausible(state))
        #expect(state.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || isalnum(Int32($0)) != 0 })
        #expect(try consume(state) == .some(Self.done))
        #expect(try consume(state) == nil)
    }

    @Test func stateWithoutRedirectGivesSomeNil() throws {
        let state = try #require(states().issue(redirectURI: nil, boundTo: "browser-cookie"))
        #expect(try consume(state) == .some(nil))
    }

    @Test func issuingWritesNothingAndOnlyAllowListedRedirectsGetAState() throws {
        let before = try database.write { db in db.totalChangesCount }
        let issued = (0..<50).compactMap { _ in states().issue(redirectURI: nil, boundTo: "browser-cookie") }
        #expect(Set(issued).count == 50)
        #expect(try database.write { db in db.totalChangesCount } == before)
        #expect(states().issue(redirectURI: "https://evil.example.com/", boundTo: "browser-cookie") == nil)
        #expect(states().issue(redirectURI: Self.done + "/", boundTo: "browser-cookie") == nil)
    }

    @Test func expiredStateIsRefused() throws {
        let early = try #require(states().issue(redirectURI: nil, boundTo: "browser-cookie"))
        let late = try #require(states().issue(redirectURI: nil, boundTo: "browser-cookie"))
        clock.advance(seconds: 599)
        #expect(try consume(early) == .some(nil))
        clock.advance(seconds: 2)
        #expect(try consume(late) == nil)
    }

    @Test func unknownAndImplausibleStatesAreRefused() throws {
        for candidate in ["", "unknown-state", "with space", String(repeating: "a", count: 100_000), "тест"] {
            #expect(try consume(candidate) == nil)
        }
    }

    /// Changing any character of a state (nonce, expiry, redirect binding or tag) makes it forged.
    @Test func everyAlteredCharacterIsRefused() throws {
        let state = try #require(states().issue(redirectURI: Self.other, boundTo: "browser-cookie"))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for position in 0..<state.utf8.count {
            var bytes = Array(state.utf8)
            bytes[position] = bytes[position] == alphabet[0] ? alphabet[1] : alphabet[0]
            #expect(states().verify(String(decoding: bytes, as: UTF8.self)) == nil, "position \(position)")
        }
        #expect(states().verify(state)?.redirectURI == Self.other)
    }

    /// The redirect is bound by its place in the allow-list and by its hash: a reordered or edited
    /// list refuses the state rather than sending its code to another URL.
    @Test func stateForRedirectACannotBeUsedWithTheAllowListReordered() throws {
        let state = try #require(states().issue(redirectURI: Self.done, boundTo: "browser-cookie"))
        #expect(try consume(state, with: states(redirects: [Self.other, Self.done])) == nil)
        #expect(try consume(state, with: states(redirects: [Self.done + "?changed", Self.other])) == nil)
        #expect(try consume(state, with: states(redirects: [])) == nil)
        #expect(
            try consume(state, with: states(redirects: [Self.done, "https://added.example.com/"])) == .some(Self.done))
    }

    /// Only a holder of the key can mint states; after a key rotation, states issued under the old
    /// key a moment ago still work while the old key is configured.
    @Test func stateIsBoundToTheEncryptionKey() throws {
        let state = try #require(states(keys: [Fixtures.key(7)]).issue(redirectURI: nil, boundTo: "browser-cookie"))
        #expect(states(keys: [Fixtures.key(8)]).verify(state) == nil)
        #expect(states(keys: [Fixtures.key(8), Fixtures.key(7)]).verify(state) != nil)
        let rotated = try #require(
            states(keys: [Fixtures.key(8), Fixtures.key(7)]).issue(redirectURI: nil, boundTo: "browser-cookie"))
        #expect(states(keys: [Fixtures.key(8)]).verify(rotated) != nil)
    }

    @Test func usedStateIsStoredOnlyAsItsHash() throws {
        let state = try #require(states().issue(redirectURI: Self.done, boundTo: "browser-cookie"))
        #expect(try consume(state) == .some(Self.done))
        #expect(try !tableContains(state, table: "oauth_states"))
        #expect(try !tableContains(Self.done, table: "oauth_states"))
        let hashes = try database.read { db in try Data.fetchAll(db, sql: "SELECT state_hash FROM oauth_states")
        }
        #expect(hashes == [SecretToken.hash(state)])
        #expect(try !store.fileBytes().contains(subsequence: Array(state.utf8)))
    }

    @Test func usedStatesAreSweptWhenTheyWouldHaveExpired() throws {
        let first = try #require(states().issue(redirectURI: nil, boundTo: "browser-cookie"))
        let second = try #require(states().issue(redirectURI: nil, boundTo: "browser-cookie"))
        #expect(try consume(first) != nil && consume(second) != nil)
        #expect(try database.write { db in try states().deleteExpired(in: db) } == 0)
        clock.advance(seconds: 600)
        // Kept a while past expiry: a clock stepped back must not make a used state verify again.
        #expect(try database.write { db in try states().deleteExpired(in: db) } == 0)
        clock.advance(seconds: LoginStateStore.usedStateMarginSeconds)
        #expect(try database.write { db in try states().deleteExpired(in: db) } == 2)
    }

    // MARK: - exchange codes

    @Test func exchangeCodeIsConsumedExactlyOnce() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let codes = ExchangeCodeStore(clock: clock, lifetimeSeconds: 300)
        let code = try database.write { db in try codes.issue(userID: user.id, in: db) }
        #expect(try database.write { db in try codes.consume(code, in: db) } == user.id)
        #expect(try database.write { db in try codes.consume(code, in: db) } == nil)
    }

    @Test func expiredExchangeCodeIsRefused() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let codes = ExchangeCodeStore(clock: clock, lifetimeSeconds: 300)
        let (early, late) = try database.write { db in
            (try codes.issue(userID: user.id, in: db), try codes.issue(userID: user.id, in: db))
        }
        clock.advance(seconds: 299)
        #expect(try database.write { db in try codes.consume(early, in: db) } == user.id)
        clock.advance(seconds: 1)
        #expect(try database.write { db in try codes.consume(late, in: db) } == nil)
        // An expired code is gone for good, even if the clock were to go back.
        #expect(
            try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM exchange_codes") } == 0)
    }

    @Test func exchangeCodeIsStoredOnlyAsItsHash() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let codes = ExchangeCodeStore(clock: clock, lifetimeSeconds: 300)
        let code = try database.write { db in try codes.issue(userID: user.id, in: db) }
        #expect(try !tableContains(code, table: "exchange_codes"))
        #expect(
            try database.read { db in try Data.fetchAll(db, sql: "SELECT code_hash FROM exchange_codes") } == [
                SecretToken.hash(code)
            ])
        #expect(try !store.fileBytes().contains(subsequence: Array(code.utf8)))
        #expect(try database.write { db in try codes.consume("not-a-code", in: db) } == nil)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        return Data(self).range(of: Data(needle)) != nil
    }
}

extension LoginStateStore {
    /// Verifies and consumes a state the way the callback does: `nil` when it is forged, used or
    /// expired; otherwise the client redirect it was issued with (`.some(nil)` when none).
    func consume(_ state: String, in db: Database) throws -> String?? {
        guard let verified = verify(state), try consume(verified, in: db) else { return nil }
        return .some(verified.redirectURI)
    }
}
