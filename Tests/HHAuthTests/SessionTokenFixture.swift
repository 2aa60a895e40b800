import Foundation

@testable import HHAuth

/// A database with the session and token stores over it, on a manual clock: what the read-path
/// suites (`SessionLookupTests`, `OpenedAccessTokensTests`) build their rows with.
struct SessionTokenFixture {
    let clock = ManualClock()
    let store: TestDatabase
    let sessions: SessionStore
    let tokens: HHTokenStore
    let lookup: SessionLookup
    var database: AppDatabase { store.database }

    init() throws {
        store = try TestDatabase()
        sessions = SessionStore(clock: clock, lifetimeSeconds: 3600)
        tokens = HHTokenStore(vault: TokenVault(current: Fixtures.key()), clock: clock)
        lookup = SessionLookup(storage: store.storage(clock: clock, sessionLifetimeSeconds: 3600), clock: clock)
    }
}
