import ArgumentParser
import Foundation
import PostgreSQLTestSupport
import Testing

@testable import HHAuth
@testable import hh_auth

/// The operator commands read the sessions as `serve` does (``CLIContext``): with
/// `SESSION_IDLE_MINUTES` set, a browser session past its idle timeout is over for `sessions list`,
/// `sessions end` and `cleanup` too, on both engines; a malformed value stops the command as it
/// stops `serve`.
@Suite("Operator commands keep the idle timeout")
struct CLISessionIdleTests {
    /// The engines, as the library's suites name them.
    enum Engine: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgresql
        var testDescription: String { rawValue }
    }

    /// A clock stopped at one time: the sessions below are made an hour before the command runs.
    struct StoppedClock: WallClock {
        let date: Date
        func now() -> Date { date }
    }

    /// What the service left behind an hour ago: a user with an HH pair, a program session, a
    /// browser session used just now and one not used since.
    struct Served {
        let userID: Int64
        let program: NewSession
        let used: NewSession
        let idle: NewSession
    }

    /// Made per run: no key-shaped literal in git. The commands below read the pair (the tests'
    /// checks do, through the command's services), so they are given the key that sealed it.
    static let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()

    /// A fresh directory for the database and the settings file.
    private static func scratch() throws -> String {
        let directory = NSTemporaryDirectory() + "hhidle-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The database setting of a database `serve` set up (`DATABASE_PATH` or `DATABASE_URL`), with
    /// the schema that must outlive the test when on PostgreSQL.
    private static func database(_ engine: Engine, in directory: String) throws -> (
        setting: String, source: EngineSource, schema: TestSchema?
    ) {
        switch engine {
        case .sqlite:
            let path = directory + "/hh-auth.sqlite3"
            return ("DATABASE_PATH=\(path)", .sqlite(try AppDatabase(path: path)), nil)
        case .postgresql:
            let schema = try TestSchema()
            return ("DATABASE_URL=\(schema.url)", .postgreSQL(connectionString: schema.url, errors: nil), schema)
        }
    }

    private static func serve(_ source: EngineSource, now: Date) throws -> Served {
        let earlier = StoppedClock(date: now - 3600)
        let services = try DomainServices(
            engine: source, vault: TokenVault(current: try #require(EncryptionKey(encoded: key))),
            clock: earlier)
        return try services.storage.write { tx in
            let user = try tx.users.upsert(
                HHProfile(id: "1001", firstName: "Иван", lastName: "Петров", email: "ivan@example.com"))
            try tx.tokens.save(userID: user.id, accessToken: "access", refreshToken: "refresh", expiresAt: now + 3600)
            let served = Served(
                userID: user.id,
                program: try tx.sessions.create(userID: user.id, kind: .program, lifetimeSeconds: nil),
                used: try tx.sessions.create(userID: user.id, kind: .browser, lifetimeSeconds: nil),
                idle: try tx.sessions.create(userID: user.id, kind: .browser, lifetimeSeconds: nil))
            try tx.sessions.recordUse(sessionID: served.used.sessionID, at: now.timeIntervalSince1970)
            return served
        }
    }

    private static func settingsFile(_ directory: String, _ lines: [String]) throws -> String {
        let file = directory + "/env"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: false, encoding: .utf8)
        return file
    }

    @Test(arguments: Engine.allCases)
    func idleBrowserSessionsAreOverForListEndAndCleanup(_ engine: Engine) throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (setting, source, schema) = try Self.database(engine, in: directory)
        defer { _ = schema }
        let served = try Self.serve(source, now: Date())
        let file = try Self.settingsFile(directory, [setting, "ENCRYPTION_KEY=\(Self.key)", "SESSION_IDLE_MINUTES=10"])

        let context = try CLIContext.reading(try SettingsOptions.parse(["--env-file", file]))
        let administration = context.services.administration()
        var listed: [String] = []
        try administration.forEachSession(throughID: try administration.newestSessionID()) { listed.append($0.id) }
        #expect(Set(listed) == [served.program.session.handle, served.used.session.handle])

        // Ending the two live sessions ends the user's last: the pair goes to the revocation queue
        // though the idle row is still in the table.
        let storage = context.services.storage
        #expect(try administration.endSession(served.program.session.handle, by: context.actor))
        #expect(try storage.read { tx in try tx.tokens.load(userID: served.userID) } != nil)
        #expect(try administration.endSession(served.used.session.handle, by: context.actor))
        #expect(try storage.read { tx in try tx.tokens.load(userID: served.userID) } == nil)
        #expect(try storage.read { tx in try tx.revocations.count() } == 1)

        // `cleanup` deletes it, as the service's janitor pass does.
        #expect(try storage.read { tx in try tx.sessions.find(sessionID: served.idle.sessionID) } != nil)
        _ = try CleanupCommand.sweep(try CLIContext.reading(try SettingsOptions.parse(["--env-file", file])))
        #expect(try storage.read { tx in try tx.sessions.find(sessionID: served.idle.sessionID) } == nil)
    }

    @Test func withoutTheSettingABrowserSessionNeverIdles() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (setting, source, _) = try Self.database(.sqlite, in: directory)
        let served = try Self.serve(source, now: Date())
        let file = try Self.settingsFile(directory, [setting])

        let context = try CLIContext.reading(try SettingsOptions.parse(["--env-file", file]))
        var listed: [String] = []
        try context.services.administration().forEachSession { listed.append($0.id) }
        #expect(Set(listed) == Set([served.program, served.used, served.idle].map(\.session.handle)))
    }

    /// Refused as `serve` refuses it (its line, exit code 2), though the database is there.
    @Test(arguments: [
        "SESSION_IDLE_MINUTES=ten", "SESSION_IDLE_MINUTES=-1", "SESSION_EXPIRE_HOURS=0", "COOKIE_DOMAIN=com",
    ])
    func aMalformedSessionSettingStopsTheCommand(_ line: String) throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (setting, source, _) = try Self.database(.sqlite, in: directory)
        _ = try Self.serve(source, now: Date())
        let file = try Self.settingsFile(directory, [setting, line])
        #expect(throws: ExitCode(2)) { _ = try CLIContext.reading(try SettingsOptions.parse(["--env-file", file])) }
    }
}
