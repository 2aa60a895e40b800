import Foundation
import Testing

@testable import HHAuth

/// The rules of a node's memory of session lookups, without a database: when it may answer, what
/// a read may store, what is forgotten. The listener and the triggers are in
/// `PostgreSQLSessionCacheTests`.
@Suite("Session read cache")
struct SessionReadCacheTests {
    let now = 1_760_000_000.0
    let key = SessionReadCache.Key(read: .user, idHash: Data([1, 2, 3]))
    let otherKey = SessionReadCache.Key(read: .identity, idHash: Data([4, 5, 6]))
    let answer = SessionReadCache.Answer.token(userID: 7, token: nil)

    private func synced(_ staleness: Duration = .seconds(60)) -> SessionReadCache {
        let cache = SessionReadCache(staleness: staleness)
        cache.synced(sentAt: .now)
        return cache
    }

    private func remembers(_ cache: SessionReadCache, _ key: SessionReadCache.Key, at time: Double? = nil) -> Bool {
        cache.answer(key, now: time ?? now) != nil
    }

    @Test func nothingIsStoredOrAnsweredBeforeTheFirstSync() {
        let cache = SessionReadCache(staleness: .seconds(60))
        #expect(cache.ticket() == nil)
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: 0)
        #expect(!remembers(cache, key))
        #expect(cache.count == 0)
    }

    @Test func aStoredAnswerIsGivenAgainWhileTheSessionLives() {
        let cache = synced()
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: cache.ticket())
        #expect(remembers(cache, key))
        #expect(!remembers(cache, otherKey))
        #expect(!remembers(cache, key, at: now + 60), "the session's own expiry is checked on every answer")
    }

    @Test func aReadDuringWhichAnythingWasForgottenStoresNothing() {
        let cache = synced()
        let ticket = cache.ticket()
        cache.forget(userID: 99)
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: ticket)
        #expect(!remembers(cache, key))
        let next = cache.ticket()
        cache.forgetAll()
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: next)
        #expect(!remembers(cache, key))
    }

    @Test func forgettingAUserForgetsTheirAnswersOnly() {
        let cache = synced()
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: cache.ticket())
        cache.store(answer, for: otherKey, userID: 8, sessionExpiresAt: now + 60, ticket: cache.ticket())
        cache.forget(userID: 7)
        #expect(!remembers(cache, key))
        #expect(remembers(cache, otherKey))
        cache.forgetAll()
        #expect(!remembers(cache, otherKey))
    }

    @Test func memoryStopsAnsweringOnceTheLastSyncIsOlderThanTheBound() {
        let cache = SessionReadCache(staleness: .milliseconds(100))
        cache.synced(sentAt: .now)
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: cache.ticket())
        #expect(remembers(cache, key))
        // A newer sync moves the proof forward; an older one never moves it back.
        cache.synced(sentAt: .now - .milliseconds(150))
        #expect(remembers(cache, key))
        let stale = SessionReadCache(staleness: .milliseconds(100))
        stale.synced(sentAt: .now - .milliseconds(150))
        #expect(!stale.isServing)
        #expect(stale.ticket() == nil)
    }

    @Test func aLostListenerEmptiesMemoryUntilTheNextSync() {
        let cache = synced()
        let ticket = cache.ticket()
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: ticket)
        cache.lost()
        #expect(!cache.isServing)
        #expect(cache.count == 0)
        cache.synced(sentAt: .now)
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: ticket)
        #expect(!remembers(cache, key), "a read that began before the loss stores nothing after it")
    }

    @Test func memoryStartsOverAtItsBound() {
        let cache = SessionReadCache(staleness: .seconds(60), maxEntries: 2)
        cache.synced(sentAt: .now)
        for byte in UInt8(0)..<3 {
            let key = SessionReadCache.Key(read: .user, idHash: Data([byte]))
            cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: cache.ticket())
        }
        #expect(cache.count == 1)
    }

    @Test func anAnswerOlderThanTheMaximumAgeIsNotGiven() {
        let cache = SessionReadCache(staleness: .seconds(60), maxAge: .zero)
        cache.synced(sentAt: .now)
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: cache.ticket())
        #expect(cache.count == 1)
        #expect(!remembers(cache, key))
    }

    @Test func theMetricsSayWhetherMemoryAnswersAndCountWhatDid() {
        let metrics = ServiceMetrics()
        var exposition = Exposition(metrics.exposition())
        #expect(exposition["hh_auth_session_cache_enabled"] == 0, "no cache (SQLite, SESSION_CACHE_MS=0)")
        #expect(exposition["hh_auth_session_cache_serving"] == 0)
        let cache = SessionReadCache(staleness: .seconds(60), lookups: metrics.sessionCache.lookups)
        metrics.sessionCache.watch(cache)
        exposition = Exposition(metrics.exposition())
        #expect(exposition["hh_auth_session_cache_enabled"] == 1)
        #expect(exposition["hh_auth_session_cache_serving"] == 0, "before the feed's first read")
        cache.synced(sentAt: .now)
        #expect(!remembers(cache, key))
        cache.store(answer, for: key, userID: 7, sessionExpiresAt: now + 60, ticket: cache.ticket())
        #expect(remembers(cache, key))
        #expect(remembers(cache, key))
        exposition = Exposition(metrics.exposition())
        #expect(exposition["hh_auth_session_cache_serving"] == 1)
        #expect(exposition["hh_auth_session_cache_lookups_total{answer=\"memory\"}"] == 2)
        #expect(exposition["hh_auth_session_cache_lookups_total{answer=\"database\"}"] == 1)
        cache.lost()
        #expect(Exposition(metrics.exposition())["hh_auth_session_cache_serving"] == 0)
    }
}
