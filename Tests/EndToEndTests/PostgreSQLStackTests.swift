import Foundation
import PostgreSQLTestSupport
import Testing

/// Issue 14: `DATABASE_URL` selects PostgreSQL — the service behind real nginx and the operator
/// commands, on a schema of the stack's own in the test process's cluster.
@Suite("PostgreSQL through nginx and the CLI")
struct PostgreSQLStackTests {
    private func stack() throws -> TestStack {
        var options = TestStack.Options()
        options.postgreSQL = true
        return try TestStack(options)
    }

    @Test func signInExchangeTokenAdminListAndAuditVerify() throws {
        let stack = try stack()
        let session = try BrowserLogin(stack: stack).session()
        let token = try stack.http.post("/auth/token", json: ["session_id": session])
        #expect(token.status == 200, "\(token.text)")
        #expect(try token.json()["access_token"] is String)
        let users = try AdminClient(stack: stack).get("/admin/users")
        #expect(users.status == 200)
        #expect(users.text.contains(TestStack.defaultUserID))
        let sessions = try AdminClient(stack: stack).get("/admin/sessions")
        #expect(sessions.status == 200)
        #expect(sessions.text.contains(TestStack.defaultUserID))
        #expect(try stack.http.get("/health").status == 200)

        let verify = try OperatorCLI(stack: stack).run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.hasPrefix("OK: "), "\(verify)")
        #expect(verify.stdout.contains("chain intact"))
        // The service never made the SQLite file DATABASE_PATH names: PostgreSQL holds it all.
        #expect(!FileManager.default.fileExists(atPath: stack.databasePath))
        let log = try String(contentsOfFile: stack.directory + "/hh-auth.log", encoding: .utf8)
        #expect(log.contains("DATABASE_PATH: not read: DATABASE_URL selects PostgreSQL"))
        #expect(log.contains("PostgreSQL database"))
    }

    /// The operator commands on the serving stack's PostgreSQL schema: what one writes the service
    /// sees, and `backup` points to `pg_dump` instead of copying.
    @Test func operatorCommandsWorkOnPostgreSQL() throws {
        let stack = try stack()
        let cli = OperatorCLI(stack: stack)
        let session = try BrowserLogin(stack: stack).session()

        let migrate = try cli.run(["migrate"])
        #expect(migrate.status == 0, "\(migrate)")
        #expect(migrate.stdout.contains("is up to date"))
        #expect(try cli.run(["users", "allow", "200000002"]).status == 0)
        let users = try cli.run(["users", "list", "--json"])
        #expect(users.status == 0, "\(users)")
        let ids = try #require(try users.json() as? [[String: Any]]).compactMap { $0["hh_user_id"] as? String }
        #expect(Set(ids) == [TestStack.defaultUserID, "200000002"])
        let sessions = try cli.run(["sessions", "list", "--json"])
        #expect(sessions.status == 0, "\(sessions)")
        #expect(sessions.stdout.contains(TestStack.defaultUserID))
        let export = try cli.run(["audit", "export"])
        #expect(export.status == 0, "\(export)")
        #expect(export.lines.contains { $0.contains(#""event_type":"user_allowed""#) })
        #expect(try cli.run(["audit", "list"]).status == 0)

        let backup = try cli.run(["backup", stack.directory + "/copy.dump"])
        #expect(backup.status == 2, "\(backup)")
        #expect(backup.stderr.contains("pg_dump"))
        #expect(!FileManager.default.fileExists(atPath: stack.directory + "/copy.dump"))

        let doctor = try cli.run(
            ["doctor", "--nginx-user", "root"], extraEnvironment: stack.serviceEnvironment.mapValues { Optional($0) })
        for check in ["database", "migrations", "integrity", "journal", "encryption-key", "old-keys"] {
            #expect(doctor.lines.contains { $0.hasPrefix("ok   \(check): ") }, "\(check): \(doctor)")
        }
        #expect(doctor.lines.contains { $0.hasPrefix("ok   database: PostgreSQL ") }, "\(doctor)")
        // The key checks read the stored pairs there as on SQLite: the sign-in above stored one.
        #expect(
            doctor.lines.contains {
                $0.hasPrefix("ok   encryption-key: ENCRYPTION_KEY (key ")
                    && $0.hasSuffix(") opens a stored token; 1 pair(s) under it")
            }, "\(doctor)")
        #expect(doctor.lines.contains("ok   old-keys: none set, none needed"), "\(doctor)")

        #expect(try cli.run(["sessions", "end", "--all"]).status == 0)
        let token = try stack.http.post("/auth/token", json: ["session_id": session])
        #expect(token.status == 401, "the service sees what the CLI ended")
        let verify = try cli.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify)")

        // Nothing in any output carries the URL's secret parts (here: none but the socket's path).
        for output in [migrate, users, sessions, backup, doctor, verify] {
            #expect(!output.stderr.contains("postgresql://"), "\(output)")
            #expect(!output.stdout.contains("postgresql://"), "\(output)")
        }
    }

    /// After a restore left a change trigger `ORIGIN` (its `ENABLE TRIGGER ALL`), the node's
    /// session cache is off and `/metrics` says so; `hh-auth migrate` that cannot set the trigger
    /// (a writer holds the table) says which and why, and one that can turns the cache back on.
    @Test func aTriggerLeftOriginShowsInMetricsAndMigrateSaysWhatItCouldNotFix() throws {
        let stack = try stack()
        let schema = try #require(stack.schema)
        let gauge = { (name: String) throws -> Double? in
            try stack.http.get("/metrics").text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
                .flatMap { Double($0.dropFirst(name.count + 1)) }
        }
        let serving = { try gauge("hh_auth_session_cache_serving") == 1 }
        #expect(try gauge("hh_auth_session_cache_enabled") == 1)
        #expect(try until { try serving() })
        let admin = try schema.connect()
        defer { admin.close() }
        try admin.execute("ALTER TABLE sessions ENABLE TRIGGER sessions_changes_delete")
        #expect(try until { try !serving() })

        let writer = try schema.connect()
        defer { writer.close() }
        try writer.execute("BEGIN")
        try writer.execute("LOCK TABLE sessions IN ROW EXCLUSIVE MODE")
        let cli = OperatorCLI(stack: stack)
        let busy = try cli.run(["migrate"])
        #expect(busy.status == 0, "the schema is current: \(busy)")
        #expect(busy.stdout.contains("is up to date"))
        #expect(
            busy.stderr.contains(
                "warning: the session change triggers sessions_changes_delete are not all there and enabled ALWAYS"),
            "\(busy)")
        #expect(busy.stderr.contains("lock timeout"), "\(busy)")
        try writer.execute("ROLLBACK")

        let fixed = try cli.run(["migrate"])
        #expect(fixed.status == 0, "\(fixed)")
        #expect(!fixed.stderr.contains("warning"), "\(fixed)")
        #expect(try until { try serving() })
    }

    /// Polls `condition` (a state another process reaches) for at most `seconds`.
    private func until(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    /// Like a `DATABASE_PATH` that names no database: a URL of a database `serve` or `migrate`
    /// never set up is refused with exit 2, and nothing is created there; another scheme is
    /// refused as a setting.
    @Test func anEmptyDatabaseOrAnotherSchemeIsRefused() throws {
        let stack = try stack()
        let cli = OperatorCLI(stack: stack)
        let empty = try TestSchema()
        let refused = try cli.run(["users", "list"], extraEnvironment: ["DATABASE_URL": empty.url])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("has no hh-auth schema"), "\(refused)")
        let connection = try empty.connect()
        defer { connection.close() }
        let tables = try connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = '\(empty.name)'")
        #expect(try tables.first?.int64(0) == 0)

        let mysql = try cli.run(["users", "list"], extraEnvironment: ["DATABASE_URL": "mysql://db/hh"])
        #expect(mysql.status == 2)
        #expect(mysql.stderr.contains("DATABASE_URL: must be a postgresql:// or postgres:// URL"), "\(mysql)")
    }
}
