import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// Two nodes (engines) on one schema, each remembering its session lookups
/// (``SessionReadCache``): what one node, a command or an operator's SQL changes, the other
/// stops answering from memory once its feed has read every change committed before the change
/// returned; the node that wrote, at once; a feed that lost the database, or finds a change
/// trigger disabled, turns its memory off. Each test first shows the answer came from memory.
@Suite("PostgreSQL session cache")
struct PostgreSQLSessionCacheTests {
    let clock = ManualClock()

    private func node(_ conninfo: String, staleness: Duration = .seconds(5)) throws -> PostgreSQLEngine {
        try PostgreSQLEngine(
            connectionString: conninfo, stores: Fixtures.stores(clock: clock),
            sessionCache: SessionCacheSettings(staleness: staleness))
    }

    /// Whitelisted user 1001 with a stored pair and a program session.
    private func signedIn(_ node: PostgreSQLEngine) throws -> (user: User, sessionID: String) {
        try node.write { tx in
            _ = try tx.whitelist.allow("1001", comment: nil)
            let user = try tx.users.upsert(HHProfile(id: "1001"))
            try tx.tokens.save(
                userID: user.id, accessToken: "A0", refreshToken: "R0", expiresAt: Date(timeIntervalSinceNow: 3600))
            return (user, try tx.sessions.create(userID: user.id).sessionID)
        }
    }

    private func user(_ node: PostgreSQLEngine, _ sessionID: String) throws -> User? {
        try node.sessionReads.user(idHash: SecretToken.hash(sessionID), now: clock.now().timeIntervalSince1970)
    }

    private func identity(_ node: PostgreSQLEngine, _ sessionID: String) throws -> SessionIdentity? {
        try node.sessionReads.identity(idHash: SecretToken.hash(sessionID), now: clock.now().timeIntervalSince1970)
    }

    private func cache(_ node: PostgreSQLEngine) throws -> SessionReadCache { try #require(node.sessionCache) }

    /// Waits until `condition` holds (polling), at most `seconds`; whether it came to hold.
    private func until(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(2000)
        }
        return try condition()
    }

    /// Waits until `node`'s feed has read everything committed before now (and so may answer from
    /// memory). Before a lookup is remembered, so that the notification of the test's own
    /// setup, which may come after the lookup, does not forget it.
    private func heard(_ node: PostgreSQLEngine) throws -> Bool {
        let now = ContinuousClock.now
        let cache = try cache(node)
        return until { cache.hasHeard(everythingBefore: now) }
    }

    /// Runs `body` while another session holds `sessions` locked against every read: a lookup
    /// that asks the database waits (and fails at the engine's lock timeout); one from memory
    /// answers.
    private func withSessionsLocked<T>(_ schema: TestSchema, _ body: () throws -> T) throws -> T {
        let holder = try schema.connect()
        defer { holder.close() }
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        defer { _ = try? holder.execute("ROLLBACK") }
        return try body()
    }

    /// Whether `node` answers the session's user from memory (the database would make it wait).
    private func remembers(_ node: PostgreSQLEngine, _ schema: TestSchema, _ sessionID: String) throws -> Bool {
        try withSessionsLocked(schema) { try self.user(node, sessionID) } != nil
    }

    /// Two nodes on a new schema; a session signed in on A, which B has looked up and answers
    /// from memory (shown, not assumed).
    private func bRemembersASessionOfA() throws -> (TestSchema, PostgreSQLEngine, PostgreSQLEngine, User, String) {
        let schema = try TestSchema()
        let (a, b) = (try node(schema.conninfo), try node(schema.conninfo))
        let (user, session) = try signedIn(a)
        #expect(try heard(b))
        #expect(try self.user(b, session) != nil)
        #expect(try remembers(b, schema, session))
        return (schema, a, b, user, session)
    }

    /// A node with a session of its own that it has looked up (so remembers, once its feed read).
    private func aNodeThatRemembersASession(
        _ conninfo: String, staleness: Duration = .seconds(5)
    ) throws -> (PostgreSQLEngine, SessionReadCache) {
        let b = try node(conninfo, staleness: staleness)
        let (_, session) = try signedIn(b)
        let cache = try cache(b)
        #expect(try heard(b))
        #expect(try user(b, session) != nil)
        return (b, cache)
    }

    @Test func aLookupIsAnsweredAgainFromMemory() throws {
        let schema = try TestSchema()
        let (a, b) = (try node(schema.conninfo), try node(schema.conninfo))
        let (user, session) = try signedIn(a)
        #expect(try heard(b))
        #expect(try self.user(b, session)?.id == user.id)
        let remembered = try withSessionsLocked(schema) { try self.user(b, session) }
        #expect(remembered?.id == user.id)
    }

    @Test func anotherNodesLogoutIsHeardBeforeTheNextProof() throws {
        let (schema, a, b, _, session) = try bRemembersASessionOfA()
        defer { withExtendedLifetime(schema) {} }
        _ = try a.write { tx in
            let found = try #require(try tx.sessions.find(sessionID: session))
            try tx.sessions.end(found)
        }
        #expect(try heard(b))
        #expect(try user(b, session) == nil)
    }

    @Test func theNodeThatWroteNeverAnswersStale() throws {
        let schema = try TestSchema()
        let a = try node(schema.conninfo)
        let (user, session) = try signedIn(a)
        #expect(try heard(a))
        #expect(try self.user(a, session) != nil)
        #expect(try remembers(a, schema, session))
        _ = try a.write { tx in try tx.sessions.endAll(userID: user.id) }
        // No wait for the listener: the write itself forgot.
        #expect(try self.user(a, session) == nil)
    }

    @Test func anOperatorsSQLIsHeardEvenWithReplicaTriggersOff() throws {
        let (schema, a, b, _, session) = try bRemembersASessionOfA()
        defer { withExtendedLifetime(a) {} }
        let operatorConnection = try schema.connect()
        defer { operatorConnection.close() }
        try operatorConnection.execute("SET session_replication_role = replica")
        try operatorConnection.execute("DELETE FROM sessions")
        #expect(try heard(b))
        #expect(try user(b, session) == nil)
    }

    @Test func aWhitelistRemovalEndsTheIdentityOnTheOtherNode() throws {
        let (schema, a, b, _, session) = try bRemembersASessionOfA()
        #expect(try identity(b, session)?.hhUserID == "1001")
        #expect(try withSessionsLocked(schema) { try self.identity(b, session) } != nil)
        _ = try a.write { tx in try tx.whitelist.remove("1001") }
        #expect(try heard(b))
        #expect(try identity(b, session) == nil)
    }

    @Test func aTokenRefreshedElsewhereIsNotServedStale() throws {
        let (schema, a, b, user, session) = try bRemembersASessionOfA()
        let hash = SecretToken.hash(session)
        let now = clock.now().timeIntervalSince1970
        let before = try #require(try b.sessionReads.token(idHash: hash, now: now, programOnly: true)?.token)
        let remembered = try withSessionsLocked(schema) {
            try b.sessionReads.token(idHash: hash, now: now, programOnly: true)?.token
        }
        #expect(remembered == before)
        try a.write { tx in
            try tx.tokens.save(
                userID: user.id, accessToken: "A1", refreshToken: "R1", expiresAt: Date(timeIntervalSinceNow: 7200))
        }
        #expect(try heard(b))
        let after = try #require(try b.sessionReads.token(idHash: hash, now: now, programOnly: true)?.token)
        #expect(after.accessToken != before.accessToken)
    }

    @Test func anotherSchemasChangesAreLetBe() throws {
        let (schema, other) = (try TestSchema(), try TestSchema())
        let b = try node(schema.conninfo)
        let elsewhere = try node(other.conninfo)
        let (_, session) = try signedIn(b)
        #expect(try heard(b))
        #expect(try user(b, session) != nil)
        // User 1 in the other schema too: same id, another deployment.
        let (theirs, _) = try signedIn(elsewhere)
        _ = try elsewhere.write { tx in try tx.sessions.endAll(userID: theirs.id) }
        #expect(try heard(b))
        #expect(try withSessionsLocked(schema) { try self.user(b, session) } != nil)
    }

    @Test func aFeedThatLosesItsConnectionTurnsMemoryOffUntilItIsBack() throws {
        let schema = try TestSchema()
        let (b, cache) = try aNodeThatRemembersASession(schema.conninfo)
        #expect(cache.count == 1)
        let admin = try schema.connect()
        defer { admin.close() }
        // Only this node's feed: other tests' feeds run beside it.
        let process = try #require(b.sessionChangeFeed?.connectionProcessID)
        let ended = try admin.execute("SELECT pg_terminate_backend($1::integer)", [.int64(Int64(process))])
        #expect(try ended.first?.bool(0) == true)
        #expect(until { !cache.isServing })
        #expect(cache.count == 0)
        #expect(until { cache.isServing }, "listening again after the reconnect pause")
    }

    @Test func aSilentDatabaseClosesMemoryWithinTheBound() throws {
        let schema = try TestSchema()
        let relay = try BlackHoleRelay(forwardingTo: schema.conninfo)
        defer { relay.close() }
        let (b, cache) = try aNodeThatRemembersASession(relay.conninfo, staleness: .milliseconds(200))
        defer { withExtendedLifetime(b) {} }  // its feed lives as long as it does
        relay.blackHole()
        let silent = ContinuousClock.now
        #expect(until(2) { !cache.isServing })
        // No sync sent after the silence began can come back: memory is off for good meanwhile.
        #expect(!cache.hasHeard(everythingBefore: silent))
        #expect(cache.ticket() == nil)
    }

    @Test func aDisabledChangeTriggerTurnsMemoryOffUntilItIsBack() throws {
        let schema = try TestSchema()
        let (b, cache) = try aNodeThatRemembersASession(schema.conninfo)
        defer { withExtendedLifetime(b) {} }  // its feed lives as long as it does
        let admin = try schema.connect()
        defer { admin.close() }
        try admin.execute("ALTER TABLE sessions DISABLE TRIGGER sessions_changes_delete")
        #expect(until { !cache.isServing })
        try admin.execute("ALTER TABLE sessions ENABLE TRIGGER sessions_changes_delete")
        // Enabled, but not ALWAYS: a replica-mode writer would go unseen; still off.
        #expect(until(1) { cache.isServing } == false)
        // As a restore's ENABLE TRIGGER ALL leaves it; `hh-auth migrate` sets it ALWAYS again.
        try PostgreSQLMigration.run(connectionString: schema.conninfo)
        #expect(until { cache.isServing })
    }

    @Test func theServingGaugeFallsWhenATriggerIsDisabled() throws {
        let schema = try TestSchema()
        let metrics = ServiceMetrics()
        let b = try PostgreSQLEngine(
            connectionString: schema.conninfo, stores: Fixtures.stores(clock: clock),
            sessionCache: SessionCacheSettings(staleness: .seconds(5), metrics: metrics.sessionCache))
        defer { withExtendedLifetime(b) {} }  // its feed lives as long as it does
        let serving = { Exposition(metrics.exposition())["hh_auth_session_cache_serving"] == 1 }
        #expect(until { serving() })
        #expect(Exposition(metrics.exposition())["hh_auth_session_cache_enabled"] == 1)
        let admin = try schema.connect()
        defer { admin.close() }
        try admin.execute("ALTER TABLE users DISABLE TRIGGER users_changes_update")
        #expect(until { !serving() })
    }

    @Test func migrateSaysWhichTriggersItCouldNotSetAlways() throws {
        let schema = try TestSchema()
        try PostgreSQLMigration.run(connectionString: schema.conninfo)
        let admin = try schema.connect()
        defer { admin.close() }
        try admin.execute("ALTER TABLE sessions DISABLE TRIGGER sessions_changes_delete")
        // A writer keeps the table busy past the migration's half second for the lock.
        let writer = try schema.connect()
        defer { writer.close() }
        try writer.execute("BEGIN")
        try writer.execute("LOCK TABLE sessions IN ROW EXCLUSIVE MODE")
        let leftOff = try PostgreSQLMigration.run(connectionString: schema.conninfo)
        #expect(leftOff?.names == ["sessions_changes_delete"])
        #expect(leftOff?.missing == [])
        #expect(leftOff?.cause.contains("lock timeout") == true)
        try writer.execute("ROLLBACK")
        #expect(try PostgreSQLMigration.run(connectionString: schema.conninfo) == nil)
    }

    @Test func migratePutsBackADroppedTriggerAndSaysSoWhenItCannot() throws {
        let schema = try TestSchema()
        let (b, cache) = try aNodeThatRemembersASession(schema.conninfo)
        defer { withExtendedLifetime(b) {} }  // its feed lives as long as it does
        let admin = try schema.connect()
        defer { admin.close() }
        try admin.execute("DROP TRIGGER users_changes_delete ON users")
        #expect(until { !cache.isServing })
        let writer = try schema.connect()
        defer { writer.close() }
        try writer.execute("BEGIN")
        try writer.execute("LOCK TABLE users IN ROW EXCLUSIVE MODE")
        let leftOff = try PostgreSQLMigration.run(connectionString: schema.conninfo)
        #expect(leftOff?.names == ["users_changes_delete"])
        #expect(leftOff?.missing == ["users_changes_delete"])
        try writer.execute("ROLLBACK")
        #expect(try PostgreSQLMigration.run(connectionString: schema.conninfo) == nil)
        #expect(until { cache.isServing }, "the trigger is back, ALWAYS")
        let always = try admin.execute(
            "SELECT tgenabled = 'A' FROM pg_trigger WHERE tgname = 'users_changes_delete' AND tgrelid = 'users'::regclass"
        )
        #expect(try always.first?.bool(0) == true)
    }
}
