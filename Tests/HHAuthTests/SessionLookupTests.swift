import Foundation
import GRDB
import Testing

@testable import HHAuth

@Suite("SessionLookup")
struct SessionLookupTests {
    let fixture: SessionTokenFixture

    init() throws { fixture = try SessionTokenFixture() }

    private func signIn(_ hhUserID: String = "1001") throws -> (user: User, sessionID: String) {
        let user = try Fixtures.user(hhUserID, in: fixture.database, clock: fixture.clock)
        let created = try fixture.database.write { db in try fixture.sessions.create(userID: user.id, in: db) }
        return (user, created.sessionID)
    }

    private func saveToken(_ access: String, for user: User, expiresIn seconds: Double = 600) throws {
        try fixture.database.write { db in
            try fixture.tokens.save(
                userID: user.id, accessToken: access, refreshToken: "refresh-\(access)",
                expiresAt: fixture.clock.now().addingTimeInterval(seconds), in: db)
        }
    }

    @Test func findsTheUserOfALiveSession() throws {
        let (user, sessionID) = try signIn()
        #expect(try fixture.lookup.user(sessionID: sessionID) == user)
        #expect(try fixture.lookup.user(sessionID: "unknown-session-id") == nil)
        #expect(try fixture.lookup.user(sessionID: "") == nil)
        #expect(try fixture.lookup.user(sessionID: "with space") == nil)
    }

    @Test func tokenIsSealedAndOpensToTheStoredAccessToken() throws {
        let (user, sessionID) = try signIn()
        try saveToken("access-1", for: user)
        let found = try #require(try fixture.lookup.token(sessionID: sessionID))
        #expect(found.userID == user.id)
        let sealed = try #require(found.token)
        #expect(sealed.accessToken != Data("access-1".utf8))
        #expect(sealed.expiresAt == fixture.clock.now().addingTimeInterval(600))
        #expect(
            try fixture.tokens.openAccess(sealed, userID: user.id)
                == AccessGrant(accessToken: "access-1", expiresAt: sealed.expiresAt))
        // Bound to its user: opening it as someone else's fails.
        #expect(throws: VaultError.cannotDecrypt) { try fixture.tokens.openAccess(sealed, userID: user.id + 1) }
    }

    @Test func sessionWithoutAStoredTokenHasNoToken() throws {
        let (user, sessionID) = try signIn()
        let found = try #require(try fixture.lookup.token(sessionID: sessionID))
        #expect(found.userID == user.id)
        #expect(found.token == nil)
    }

    @Test func expiredSessionIsNotFound() throws {
        let (user, sessionID) = try signIn()
        try saveToken("access-1", for: user)
        fixture.clock.advance(seconds: 3600)
        #expect(try fixture.lookup.token(sessionID: sessionID) == nil)
        #expect(try fixture.lookup.user(sessionID: sessionID) == nil)
    }

    /// The prepared statements are reset after each use: a lookup that kept its read open would go
    /// on seeing the snapshot it started with, and a logout would not take effect on that thread.
    @Test func seesEveryCommittedWriteAtOnce() throws {
        let (user, sessionID) = try signIn()
        try saveToken("access-1", for: user)
        let first = try #require(try fixture.lookup.token(sessionID: sessionID)?.token)
        try saveToken("access-2", for: user)
        let sealed = try #require(try fixture.lookup.token(sessionID: sessionID)?.token)
        #expect(sealed.version == first.version + 1)
        #expect(try fixture.tokens.openAccess(sealed, userID: user.id).accessToken == "access-2")
        _ = try fixture.database.write { db in try fixture.sessions.endAll(userID: user.id, in: db) }
        #expect(try fixture.lookup.token(sessionID: sessionID) == nil)
        #expect(try fixture.lookup.user(sessionID: sessionID) == nil)
    }

    /// GRDB reads and the prepared lookups share the thread's one connection; neither leaves a read
    /// open that would pin the other to an old snapshot.
    @Test func readsAndLookupsOnTheThreadsConnectionSeeEachWrite() throws {
        let (user, sessionID) = try signIn()
        let live = {
            try self.fixture.database.read { db in try self.fixture.sessions.liveCount(userID: user.id, in: db) }
        }
        #expect(try live() == 1)
        #expect(try fixture.lookup.user(sessionID: sessionID) == user)
        #expect(try live() == 1)
        _ = try fixture.database.write { db in try fixture.sessions.endAll(userID: user.id, in: db) }
        #expect(try fixture.lookup.user(sessionID: sessionID) == nil)
        #expect(try live() == 0)
    }

    /// The thread's connection is read-only in SQLite itself: a write sent through either way of
    /// reading fails with SQLITE_READONLY instead of bypassing the pool's writer.
    @Test func theThreadsConnectionRefusesWrites() throws {
        let (user, sessionID) = try signIn()
        #expect {
            try fixture.database.read { db in try db.execute(sql: "DELETE FROM sessions") }
        } throws: { error in
            (error as? StorageFailure)?.kind == .readOnly
        }
        #expect {
            try fixture.database.withThreadConnection { connection in
                try connection.statement("DELETE FROM sessions").run([]) { _ in 0 }
            }
        } throws: { error in
            (error as? StorageFailure)?.kind == .readOnly
        }
        #expect(try fixture.lookup.user(sessionID: sessionID) == user)
    }

    /// A worker thread has one connection (both ways of reading use it), and it closes when the
    /// thread ends. SQLite keeps a closed connection's file descriptor while other connections of
    /// the process hold locks on the file, and hands it to the next connection that opens it: so
    /// thread after thread, the process never holds more than one descriptor beyond the pool's.
    @Test func aThreadsOneConnectionClosesWhenTheThreadEnds() throws {
        let (user, sessionID) = try signIn()
        let path = fixture.store.path
        let before = try openDescriptors(of: path)
        for _ in 0..<3 {
            let seen = try runOnNewThread { [fixture] in
                (
                    live: try fixture.database.read { db in try fixture.sessions.liveCount(userID: user.id, in: db) },
                    user: try fixture.lookup.user(sessionID: sessionID),
                    descriptors: try openDescriptors(of: path)
                )
            }
            #expect(seen.live == 1)
            #expect(seen.user == user)
            #expect(seen.descriptors == before + 1)
        }
        #expect(try openDescriptors(of: path) <= before + 1)
    }
}

/// How many of this process's file descriptors are open on `path`.
private func openDescriptors(of path: String) throws -> Int {
    let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    return try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count { name in
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")) == target
    }
}

/// Runs `body` on a new POSIX thread and returns its result once that thread has ended
/// (`pthread_join`): its thread-specific values have been destroyed by then.
private func runOnNewThread<T>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    let job = ThreadJob { try body() }
    var thread = pthread_t()
    let code = pthread_create(
        &thread, nil,
        { raw in
            let job = Unmanaged<ThreadJob>.fromOpaque(raw!).takeUnretainedValue()
            job.result = Result { try job.body() }
            return nil
        }, Unmanaged.passUnretained(job).toOpaque())
    guard code == 0 else { throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EAGAIN) }
    pthread_join(thread, nil)
    return try job.result!.get() as! T
}

/// A thread's work and its result; only read after `pthread_join`, which orders the accesses.
private final class ThreadJob: @unchecked Sendable {
    let body: () throws -> Any
    var result: Result<Any, any Error>?
    init(_ body: @escaping () throws -> Any) { self.body = body }
}
