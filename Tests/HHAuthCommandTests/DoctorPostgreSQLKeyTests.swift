import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth
@testable import hh_auth

/// `hh-auth doctor`'s key checks on PostgreSQL (`DATABASE_URL`): the stored pairs are read
/// through the database check's read-only connection and judged as on SQLite, same lines.
@Suite("Doctor's key checks on PostgreSQL")
struct DoctorPostgreSQLKeyTests {
    /// Made per run, like ``DoctorCheckTests/key``: no key-shaped literal in git.
    static let otherKey = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()

    private func configuration(_ changes: [String: String] = [:]) throws -> Configuration {
        try ConfigurationParser(settings: DoctorCheckTests.settings.merging(changes) { $1 }).parse()
    }

    /// A migrated schema with one user whose pair is sealed under `configuration`'s key, written
    /// as `serve` writes it.
    private func servedSchema(sealingWith configuration: Configuration) throws -> TestSchema {
        let schema = try TestSchema()
        let services = try DomainServices(
            engine: .postgreSQL(connectionString: schema.url, errors: nil),
            vault: TokenVault(current: configuration.encryptionKey), clock: SystemClock())
        try services.storage.write { tx in
            let user = try tx.users.upsert(
                HHProfile(id: "1001", firstName: "Иван", lastName: "Петров", email: "ivan@example.com"))
            try tx.tokens.save(
                userID: user.id, accessToken: "access", refreshToken: "refresh", expiresAt: Date() + 3600)
        }
        return schema
    }

    private func keyFindings(_ schema: TestSchema, _ configuration: Configuration) -> [DoctorFinding] {
        let database = PostgreSQLDatabaseCheck(connectionString: schema.url).run()
        return EncryptionKeyCheck(configuration: configuration, database: database.current).run()
    }

    @Test func theKeyThatSealedThePairsOpensOne() throws {
        let settings = try configuration()
        let schema = try servedSchema(sealingWith: settings)
        let database = PostgreSQLDatabaseCheck(connectionString: schema.url).run()
        #expect(database.findings.allSatisfy { $0.passed }, "\(database.findings)")
        let keys = EncryptionKeyCheck(configuration: settings, database: database.current).run()
        #expect(
            keys.map(\.line) == [
                "ok   encryption-key: ENCRYPTION_KEY (key \(settings.encryptionKey.id)) opens a stored token; 1 pair(s) under it",
                "ok   old-keys: none set, none needed",
            ])

        // A database `serve` never set up is not read for keys: its migrations failed first.
        let empty = PostgreSQLDatabaseCheck(connectionString: try TestSchema().url).run()
        #expect(empty.current == nil)
        let unread = EncryptionKeyCheck(configuration: settings, database: empty.current).run()
        #expect(unread.map(\.line).allSatisfy { $0.contains("not checked: needs database and migrations") })
    }

    /// `ENCRYPTION_KEY` changed without the old one in `ENCRYPTION_OLD_KEYS`: serve would refuse
    /// to start, and doctor says which key and how many pairs.
    @Test func aWrongCurrentKeyFailsNamingTheKeyThePairsNeed() throws {
        let sealing = try configuration()
        let schema = try servedSchema(sealingWith: sealing)
        let wrong = try configuration(["ENCRYPTION_KEY": Self.otherKey])
        let keys = keyFindings(schema, wrong)
        #expect(!keys[0].passed)
        #expect(
            keys[0].line.hasPrefix(
                "FAIL encryption-key: 1 stored token pair(s) are sealed under key \(sealing.encryptionKey.id), which is neither ENCRYPTION_KEY (key \(wrong.encryptionKey.id)) nor in ENCRYPTION_OLD_KEYS"
            ), "\(keys)")
        #expect(keys[1].passed)
    }

    /// The new key current and the old one in `ENCRYPTION_OLD_KEYS`, before `hh-auth keys rotate`:
    /// no pair under the current key yet, and the old key still needed.
    @Test func anOldKeyStillInUseIsNamed() throws {
        let sealing = try configuration()
        let schema = try servedSchema(sealingWith: sealing)
        let rotated = try configuration([
            "ENCRYPTION_KEY": Self.otherKey, "ENCRYPTION_OLD_KEYS": DoctorCheckTests.key,
        ])
        let keys = keyFindings(schema, rotated)
        #expect(
            keys.map(\.line) == [
                "ok   encryption-key: ENCRYPTION_KEY is key \(rotated.encryptionKey.id); no stored pair is sealed under it yet (see old-keys)",
                "ok   old-keys: key \(sealing.encryptionKey.id) still opens 1 pair(s): keep ENCRYPTION_OLD_KEYS until `hh-auth keys rotate` has moved them",
            ])
    }

    /// A stored pair whose bytes do not open under the key its row names.
    @Test func aPairThatDoesNotDecryptFails() throws {
        let settings = try configuration()
        let schema = try servedSchema(sealingWith: settings)
        let connection = try schema.connect()
        defer { connection.close() }
        try connection.execute("UPDATE hh_tokens SET access_token = refresh_token")
        let keys = keyFindings(schema, settings)
        #expect(
            keys[0].line.hasPrefix(
                "FAIL encryption-key: a stored pair sealed under key \(settings.encryptionKey.id) does not decrypt with it"
            ),
            "\(keys)")
    }
}
