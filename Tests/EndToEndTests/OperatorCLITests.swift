import Foundation
import Testing

/// Issue 4: the operator commands of the `hh-auth` binary, run against the database a live stack
/// is serving from, with their effects checked through nginx.
@Suite("Operator CLI against a serving stack")
struct OperatorCLITests {
    private func token(_ stack: TestStack, _ session: String) throws -> WireResponse {
        try stack.http.post("/auth/token", json: ["session_id": session])
    }

    /// Splits an aligned table at the header's column starts; every row must have its cells exactly
    /// there (the last column runs to the end of the line).
    private func table(_ output: CLIOutput, columns: [String]) throws -> [[String]] {
        let lines = output.lines.map { Array($0) }
        let header = try #require(lines.first, "no table in \(output)")
        var starts: [Int] = []
        var searchFrom = 0
        for column in columns {
            let text = String(header[searchFrom...])
            let range = try #require(text.range(of: column), "no column \(column) in \(String(header))")
            let start = searchFrom + text.distance(from: text.startIndex, to: range.lowerBound)
            starts.append(start)
            searchFrom = start + column.count
        }
        #expect(starts.first == 0)
        return lines.dropFirst().map { row in
            starts.indices.map { index in
                let start = min(starts[index], row.count)
                let end = index + 1 < starts.count ? min(starts[index + 1], row.count) : row.count
                // Cells are padded to their column and separated by two spaces.
                if index + 1 < starts.count, end >= 2, end <= row.count {
                    #expect(row[end - 2] == " " && row[end - 1] == " ", "row not aligned: \(String(row))")
                }
                return String(row[start..<end]).trimmingCharacters(in: .whitespaces)
            }
        }
    }

    // MARK: - users

    private static let userColumns = ["HH_USER_ID", "ACTIVE", "CREATED", "GROUPS", "COMMENT"]

    @Test func usersAllowListAndRemoveWhileTheServiceServes() throws {
        let stack = try TestStack()
        let cli = OperatorCLI(stack: stack)
        let comment = "Подрядчик 🚀, \"квартал\" 3"
        let allowed = try cli.run(["users", "allow", "200000002", "--comment", comment])
        #expect(allowed.status == 0, "\(allowed)")
        #expect(allowed.stdout == "allowed 200000002\n")

        // The service sees it at once: the API lists it, and the user can sign in.
        let listed = try AdminClient(stack: stack).get("/admin/users").json()["users"] as? [[String: Any]] ?? []
        #expect(listed.first { $0["hh_user_id"] as? String == "200000002" }?["comment"] as? String == comment)
        let session = try BrowserLogin(stack: stack).session(asUser: "200000002")
        #expect(try token(stack, session).status == 200)

        let human = try cli.run(["users", "list"])
        #expect(human.status == 0)
        let rows = try table(human, columns: Self.userColumns)
        #expect(rows.map { $0[0] } == [TestStack.defaultUserID, "200000002"])
        #expect(rows.map { $0[1] } == ["yes", "yes"])
        #expect(rows.map { $0[3] } == ["-", "-"])
        #expect(rows[1][4] == comment)
        #expect(rows.allSatisfy { ISO8601DateFormatter().date(from: $0[2]) != nil })

        let json = try cli.run(["users", "list", "--json"])
        #expect(json.status == 0)
        let entries = try #require(try json.json() as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries.last?["comment"] as? String == comment)
        #expect(
            entries.last.map { Set($0.keys) } == ["id", "hh_user_id", "comment", "groups", "is_active", "created_at"])

        let removed = try cli.run(["users", "remove", "200000002"])
        #expect(removed.status == 0, "\(removed)")
        #expect(removed.stdout == "removed 200000002; 1 session(s) ended\n")
        #expect(try token(stack, session).detail == "Invalid session")
        #expect(
            try table(cli.run(["users", "list"]), columns: Self.userColumns).map { $0[0] }
                == [
                    TestStack.defaultUserID
                ])
        let everyone = try table(
            cli.run(["users", "list", "--all"]), columns: Self.userColumns)
        #expect(everyone.map { $0[0] } == [TestStack.defaultUserID, "200000002"])
        #expect(everyone.map { $0[1] } == ["yes", "no"])
        let all = try #require(try cli.run(["users", "list", "--all", "--json"]).json() as? [[String: Any]])
        #expect(all.map { $0["is_active"] as? Bool } == [true, false])

        let unknown = try cli.run(["users", "remove", "999999999"])
        #expect(unknown.status == 1, "\(unknown)")
        #expect(unknown.stderr.contains("999999999"))
        for malformed in ["abc", "../x", String(repeating: "1", count: 21)] {
            let remove = try cli.run(["users", "remove", malformed])
            #expect(remove.status == 2, "remove \(malformed): \(remove)")
            let allow = try cli.run(["users", "allow", malformed])
            #expect(allow.status == 2, "allow \(malformed): \(allow)")
        }
        let longComment = try cli.run(["users", "allow", "200000003", "--comment", String(repeating: "x", count: 501)])
        #expect(longComment.status == 2)
        #expect((try cli.run(["users", "list", "--all", "--json"]).json() as? [[String: Any]])?.count == 2)

        // The CLI's changes are audited under the operator's name.
        let events = try AdminClient(stack: stack).auditLog("event_type=user_removed")
        #expect(events.total == 1)
        let metadata = events.events.first?["event_metadata"] as? [String: Any]
        #expect((metadata?["admin"] as? String)?.hasPrefix("cli:") == true)
        #expect(metadata?["sessions_ended"] as? Int == 1)
    }

    @Test func usersAllowSetsKeepsAndClearsGroups() throws {
        let stack = try TestStack()
        let cli = OperatorCLI(stack: stack)
        let allowed = try cli.run(["users", "allow", "200000002", "--group", "ops", "--group", "db-admins"])
        #expect(allowed.status == 0, "\(allowed)")
        #expect(allowed.stdout == "allowed 200000002 in db-admins,ops\n")
        let listed = try AdminClient(stack: stack).get("/admin/users").json()["users"] as? [[String: Any]] ?? []
        #expect(
            listed.first { $0["hh_user_id"] as? String == "200000002" }?["groups"] as? [String] == ["db-admins", "ops"])

        // Without --group the entry keeps its groups; --group replaces them; --no-groups clears them.
        #expect(try cli.run(["users", "allow", "200000002", "--comment", "dba"]).status == 0)
        var rows = try table(cli.run(["users", "list"]), columns: Self.userColumns)
        #expect(rows.map { $0[3] } == ["-", "db-admins,ops"])
        #expect(rows[1][4] == "dba")
        #expect(
            try cli.run(["users", "allow", "200000002", "--group", "viewers"]).stdout
                == "allowed 200000002 in viewers\n")
        rows = try table(cli.run(["users", "list"]), columns: Self.userColumns)
        #expect(rows[1][3] == "viewers")
        let json = try #require(try cli.run(["users", "list", "--json"]).json() as? [[String: Any]])
        #expect(json.last?["groups"] as? [String] == ["viewers"])
        #expect(try cli.run(["users", "allow", "200000002", "--no-groups"]).stdout == "allowed 200000002\n")
        rows = try table(cli.run(["users", "list"]), columns: Self.userColumns)
        #expect(rows[1][3] == "-")

        // Refused before anything is written, with the usage exit code.
        for arguments in [
            ["--group", "Ops"], ["--group", "ops,db"], ["--group", ""], ["--group", "ops", "--no-groups"],
            (0...16).flatMap { ["--group", "g\($0)"] },
        ] {
            let refused = try cli.run(["users", "allow", "200000003"] + arguments)
            #expect(refused.status == 2, "\(arguments): \(refused)")
            #expect(refused.stderr.contains("group"), "\(arguments): \(refused)")
        }
        #expect((try cli.run(["users", "list", "--all", "--json"]).json() as? [[String: Any]])?.count == 2)
        let events = try AdminClient(stack: stack).auditLog("event_type=user_allowed")
        let groups = events.events.compactMap { ($0["event_metadata"] as? [String: Any])?["groups"] as? String }
        #expect(groups.prefix(4) == ["", "viewers", "db-admins,ops", "db-admins,ops"])
    }

    @Test func removingAUserFromTheCLIEndsTheirSessionsAndRefusesTheirNextLogin() throws {
        let stack = try TestStack()
        let login = BrowserLogin(stack: stack)
        let sessions = [try login.session(), try login.session()]
        let removed = try OperatorCLI(stack: stack).run(["users", "remove", TestStack.defaultUserID])
        #expect(removed.status == 0, "\(removed)")
        #expect(removed.stdout == "removed \(TestStack.defaultUserID); 2 session(s) ended\n")
        for session in sessions {
            let refused = try token(stack, session)
            #expect(refused.status == 401)
            #expect(refused.detail == "Invalid session")
        }
        let again = try login.run(accept: "application/json")
        #expect(again.callback.status == 403)
        #expect(again.callback.detail == "User \(TestStack.defaultUserID) is not allowed to access this service")
    }

    // MARK: - sessions

    @Test func sessionsListAndEndByHandleUserOrAll() throws {
        let stack = try TestStack()
        let cli = OperatorCLI(stack: stack)
        #expect(try cli.run(["users", "allow", "200000002"]).status == 0)
        let login = BrowserLogin(stack: stack)
        let mine = [try login.session(), try login.session()]
        let theirs = try login.session(asUser: "200000002")
        let other = try login.session(asUser: "200000002")

        let human = try cli.run(["sessions", "list"])
        #expect(human.status == 0)
        let rows = try table(human, columns: ["HANDLE", "HH_USER_ID", "NAME", "CREATED", "EXPIRES"])
        #expect(rows.count == 4)
        #expect(rows.filter { $0[1] == TestStack.defaultUserID }.allSatisfy { $0[2] == "Иван Сергеевич Петров" })
        #expect(rows.allSatisfy { $0[0].hasPrefix("s_") })
        for session in mine + [theirs, other] { #expect(!human.stdout.contains(session)) }

        let json = try #require(try cli.run(["sessions", "list", "--json"]).json() as? [[String: Any]])
        #expect(json.count == 4)
        #expect(Set(json.compactMap { $0["id"] as? String }) == Set(rows.map { $0[0] }))
        let filtered = try #require(
            try cli.run(["sessions", "list", "--user", "200000002", "--json"]).json() as? [[String: Any]])
        #expect(filtered.count == 2)
        #expect(filtered.allSatisfy { ($0["user"] as? [String: Any])?["hh_user_id"] as? String == "200000002" })
        // Newest first: the handle of `other` (created last) leads.
        let otherHandle = try #require(filtered.first?["id"] as? String)

        let ended = try cli.run(["sessions", "end", otherHandle])
        #expect(ended.status == 0, "\(ended)")
        #expect(ended.stdout == "session ended\n")
        #expect(try token(stack, other).detail == "Invalid session")
        #expect(try token(stack, theirs).status == 200)
        let twice = try cli.run(["sessions", "end", otherHandle])
        #expect(twice.status == 1)

        // A raw session id works too (after `--`: a base64url id may start with `-`).
        let byID = try cli.run(["sessions", "end", "--", theirs])
        #expect(byID.status == 0, "\(byID)")
        #expect(try token(stack, theirs).detail == "Invalid session")

        let third = try login.session()
        let byUser = try cli.run(["sessions", "end", "--user", TestStack.defaultUserID])
        #expect(byUser.status == 0, "\(byUser)")
        #expect(byUser.stdout == "3 session(s) ended\n")
        for session in mine + [third] { #expect(try token(stack, session).detail == "Invalid session") }

        let survivors = [try login.session(), try login.session(asUser: "200000002")]
        let everything = try cli.run(["sessions", "end", "--all"])
        #expect(everything.status == 0, "\(everything)")
        #expect(everything.stdout == "2 session(s) ended\n")
        for session in survivors { #expect(try token(stack, session).detail == "Invalid session") }
        #expect((try cli.run(["sessions", "list", "--json"]).json() as? [Any])?.isEmpty == true)
        #expect(try AdminClient(stack: stack).get("/admin/sessions").json()["total"] as? Int == 0)

        #expect(try cli.run(["sessions", "end"]).status == 2, "usage errors exit 2")
        #expect(try cli.run(["sessions", "end", "--all", "--user", "1"]).status == 2, "usage errors exit 2")
        let terminated = try AdminClient(stack: stack).auditLog("event_type=session_terminated")
        #expect(terminated.total == 5)
        for session in mine + survivors + [theirs, other, third] { #expect(!terminated.raw.contains(session)) }
    }

    // MARK: - audit

    @Test func auditListAndExportAgreeWithTheAPI() throws {
        let stack = try TestStack()
        let cli = OperatorCLI(stack: stack)
        let admin = AdminClient(stack: stack)
        for id in ["200000002", "200000003", "200000004"] {
            #expect(try admin.allow(id, comment: "c,\"q\"\n=1+1").status == 200)
        }
        _ = try BrowserLogin(stack: stack).session()
        #expect(
            try admin.get("/admin/users", headers: ["Authorization": AdminClient.basic("admin", "bad")]).status == 401)
        let page = try admin.auditLog()
        #expect(page.total >= 6)

        let listed = try cli.run(["audit", "list", "--json", "--type", "user_allowed", "--limit", "2"])
        #expect(listed.status == 0, "\(listed)")
        let events = try #require(try listed.json() as? [[String: Any]])
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0["event_type"] as? String == "user_allowed" })
        #expect(
            events.compactMap { $0["id"] as? Int }
                == page.events(ofType: "user_allowed").prefix(2).compactMap { $0["id"] as? Int })
        #expect((events.first?["event_metadata"] as? [String: Any])?["hh_user_id"] as? String == "200000004")

        let all = try #require(try cli.run(["audit", "list", "--json", "--limit", "1000"]).json() as? [[String: Any]])
        #expect(all.compactMap { $0["id"] as? Int } == page.ids)

        let human = try cli.run(["audit", "list", "--limit", "3"])
        #expect(human.status == 0)
        let rows = try table(human, columns: ["ID", "TIME", "TYPE", "USER", "METADATA"])
        #expect(rows.map { $0[0] } == page.ids.prefix(3).map(String.init))
        #expect(rows.map { $0[2] } == page.events.prefix(3).compactMap { $0["event_type"] as? String })
        for row in rows { #expect((try? JSONSerialization.jsonObject(with: Data(row[4].utf8))) is [String: Any]) }
        for limit in ["0", "1001"] { #expect(try cli.run(["audit", "list", "--limit", limit]).status == 2) }

        let jsonl = try cli.run(["audit", "export", "--format", "jsonl"])
        #expect(jsonl.status == 0, "\(jsonl)")
        #expect(jsonl.stdout.hasSuffix("\n"))
        #expect(jsonl.lines.count == page.total)
        let exported = try jsonl.lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        // Oldest first, every event once, with the API's fields and values.
        #expect(exported.compactMap { $0["id"] as? Int } == page.ids.reversed())
        for (line, event) in zip(exported, page.events.reversed()) {
            #expect(Set(line.keys) == ["id", "event_type", "user_id", "event_metadata", "created_at"])
            #expect(line["event_type"] as? String == event["event_type"] as? String)
            #expect(line["created_at"] as? String == event["created_at"] as? String)
            #expect(
                NSDictionary(dictionary: line["event_metadata"] as? [String: Any] ?? [:]).isEqual(
                    to: event["event_metadata"] as? [String: Any] ?? [:]))
        }

        let csv = try cli.run(["audit", "export", "--format", "csv"])
        #expect(csv.status == 0, "\(csv)")
        #expect(csv.lines.first == "id,event_type,user_id,created_at,event_metadata")
        #expect(csv.lines.count == page.total + 1)
        #expect(csv.lines.dropFirst().map { String($0.prefix { $0 != "," }) } == page.ids.reversed().map(String.init))

        let since = try cli.run(["audit", "export", "--format", "jsonl", "--since", "2999-01-01"])
        #expect(since.status == 0 && since.stdout.isEmpty)
        #expect(try cli.run(["audit", "export", "--format", "xml"]).status == 2)
    }

    @Test func auditVerifyPassesThenNamesTheTamperedEvent() throws {
        try #require(SQLiteShell.isAvailable, "sqlite3 is missing (make deps)")
        let stack = try TestStack()
        let cli = OperatorCLI(stack: stack)
        let admin = AdminClient(stack: stack)
        for id in ["200000002", "200000003", "200000004", "200000005"] { #expect(try admin.allow(id).status == 200) }
        _ = try BrowserLogin(stack: stack).session()
        let page = try admin.auditLog()

        let intact = try cli.run(["audit", "verify"])
        #expect(intact.status == 0, "\(intact)")
        #expect(intact.stdout == "OK: \(page.total) events, chain intact\n")

        // Deleting a row is caught too: on a backup copy, so the live trail stays whole.
        let copy = stack.directory + "/verify-copy.sqlite3"
        #expect(try cli.run(["backup", copy]).status == 0)
        let gone = page.ids.sorted()[1]
        try SQLiteShell.run(copy, "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE id = \(gone);")
        let gap = try cli.run(["audit", "verify"], extraEnvironment: ["DATABASE_PATH": copy])
        #expect(gap.status != 0, "\(gap)")
        #expect(gap.stdout.contains("event \(gone + 1) "), "\(gap)")

        // An attacker with the file, while the service keeps serving from it.
        let victim = page.ids.sorted()[2]
        try SQLiteShell.run(
            stack.databasePath,
            "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET metadata = '{}' WHERE id = \(victim);")
        #expect(
            try SQLiteShell.run(stack.databasePath, "SELECT metadata FROM audit_events WHERE id = \(victim);") == ["{}"]
        )
        #expect(try admin.allow("200000006").status == 200)
        let broken = try cli.run(["audit", "verify"])
        #expect(broken.status != 0, "\(broken)")
        #expect(broken.stdout.contains("event \(victim) "), "\(broken)")
        #expect(broken.stdout.hasPrefix("BROKEN: "))
    }

    @Test func auditPruneRecordsItselfAndLeavesAVerifiableChain() throws {
        try #require(SQLiteShell.isAvailable, "sqlite3 is missing (make deps)")
        let stack = try TestStack()
        let cli = OperatorCLI(stack: stack)
        let admin = AdminClient(stack: stack)
        #expect(try admin.allow("200000002").status == 200)
        _ = try BrowserLogin(stack: stack).session()
        let boundary = nextWholeSecond()
        waitUntilClockPasses(boundary.date)
        #expect(try admin.allow("200000003").status == 200)
        #expect(try admin.allow("200000004").status == 200)
        let old = try admin.auditLog("until=\(boundary.text)")
        let recent = try admin.auditLog("since=\(boundary.text)")
        #expect(old.total >= 3 && recent.total == 2)

        let pruned = try cli.run(["audit", "prune", "--before", boundary.text])
        #expect(pruned.status == 0, "\(pruned)")
        #expect(pruned.stdout == "pruned \(old.total) event(s)\n")

        let after = try admin.auditLog()
        #expect(after.total == recent.total + 1)
        #expect(try admin.auditLog("until=\(boundary.text)").total == 0)
        let record = try #require(after.events.first)
        #expect(record["event_type"] as? String == "audit_pruned")
        let metadata = try #require(record["event_metadata"] as? [String: Any])
        #expect(metadata["count"] as? Int == old.total)
        #expect(metadata["anchor_id"] as? Int == old.ids.max())
        #expect((metadata["admin"] as? String)?.hasPrefix("cli:") == true)
        #expect(Set(after.ids.dropFirst()) == Set(recent.ids))

        let verified = try cli.run(["audit", "verify"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout == "OK: \(after.total) events, chain intact\n")
        // New events chain on from the pruned trail.
        #expect(try admin.allow("200000005").status == 200)
        #expect(try cli.run(["audit", "verify"]).stdout == "OK: \(after.total + 1) events, chain intact\n")
        #expect(try cli.run(["audit", "prune", "--before", boundary.text]).stdout == "pruned 0 event(s)\n")

        // Pruning switched the delete guard back on.
        #expect(try SQLiteShell.run(stack.databasePath, "SELECT pruning FROM audit_guard;") == ["0"])
        #expect(throws: HarnessError.self) { try SQLiteShell.run(stack.databasePath, "DELETE FROM audit_events;") }
        #expect(try cli.run(["audit", "prune", "--before", "not-a-date"]).status == 2)
    }

    // MARK: - secrets

    @Test func hashPasswordMakesAYescryptHashThatLetsTheAdminIn() throws {
        let password = "correct horse 🐎 батарея"
        let scratch = NSTemporaryDirectory()
        let made = try OperatorCLI.run(
            executable: TestStack.binaries + "/hh-auth", ["hash-password"], environment: [:], input: password + "\n",
            directory: scratch,
            timeoutSeconds: 30)
        #expect(made.status == 0, "\(made)")
        let hash = made.stdout.trimmingCharacters(in: .newlines)
        #expect(hash.hasPrefix("$y$"))
        #expect(made.lines.count == 1)
        #expect(!made.stdout.contains(password) && !made.stderr.contains(password))
        let empty = try OperatorCLI.run(
            executable: TestStack.binaries + "/hh-auth", ["hash-password"], environment: [:], input: "\n",
            directory: scratch,
            timeoutSeconds: 30)
        #expect(empty.status == 2)

        let stack = try TestStack(.init(environment: ["ADMIN_PASSWORD": hash]))
        let admin = AdminClient(stack: stack, password: password)
        let inside = try admin.get("/admin/users")
        #expect(inside.status == 200)
        #expect(try inside.json()["total"] as? Int == 1)
        #expect(try AdminClient(stack: stack).get("/admin/users").status == 401)
        #expect(try AdminClient(stack: stack, password: password + " ").get("/admin/users").status == 401)
    }

    @Test func aServiceWithTheWrongKeyRefusesToStartWhileTokensExist() throws {
        let stack = try TestStack()
        let session = try BrowserLogin(stack: stack).session()
        let original = try #require(try token(stack, session).json()["access_token"] as? String)
        stack.service?.stop()

        let wrongKey = randomEncryptionKey()
        var environment = stack.serviceEnvironment
        environment["ENCRYPTION_KEY"] = wrongKey
        let refused = try OperatorCLI.run(
            executable: TestStack.binaries + "/hh-auth", ["serve"], environment: environment, input: nil,
            directory: stack.directory,
            timeoutSeconds: 20)
        #expect(refused.status == 2, "\(refused)")
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(refused)")
        #expect(lines.first?.contains("ENCRYPTION_KEY") == true)
        #expect(!refused.stderr.contains(wrongKey) && !refused.stderr.contains(TestStack.testKey))

        // The refusal changed nothing: the right key serves the same token.
        try stack.restartService()
        let again = try token(stack, session)
        #expect(again.status == 200)
        #expect(try again.json()["access_token"] as? String == original)
    }

    @Test func keysRotateMovesEveryTokenToTheNewKey() throws {
        try #require(SQLiteShell.isAvailable, "sqlite3 is missing (make deps)")
        let stack = try TestStack()
        let cli = OperatorCLI(stack: stack)
        #expect(try cli.run(["users", "allow", "200000002"]).status == 0)
        let session = try BrowserLogin(stack: stack).session()
        let otherSession = try BrowserLogin(stack: stack).session(asUser: "200000002")
        let original = try #require(try token(stack, session).json()["access_token"] as? String)
        let otherOriginal = try #require(try token(stack, otherSession).json()["access_token"] as? String)
        let oldKey = TestStack.testKey
        let newKey = randomEncryptionKey()

        // Step 1: serve with the new key, the old one still accepted for decryption.
        stack.service?.stop()
        try stack.startService(extraEnvironment: ["ENCRYPTION_KEY": newKey, "ENCRYPTION_OLD_KEYS": oldKey])
        try stack.waitUntilHealthy()
        #expect(try token(stack, session).json()["access_token"] as? String == original)

        // Step 2: rotate while the service serves.
        let rotated = try cli.run(
            ["keys", "rotate"], extraEnvironment: ["ENCRYPTION_KEY": newKey, "ENCRYPTION_OLD_KEYS": oldKey])
        #expect(rotated.status == 0, "\(rotated)")
        let keyID = try #require(rotated.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .newlines) })
        #expect(rotated.stdout == "re-encrypted 2 token pair(s) under key \(keyID)\n")
        #expect(try SQLiteShell.run(stack.databasePath, "SELECT DISTINCT key_id FROM hh_tokens;") == [keyID])
        #expect(!rotated.stdout.contains(newKey) && !rotated.stderr.contains(newKey))
        let rerun = try cli.run(
            ["keys", "rotate"], extraEnvironment: ["ENCRYPTION_KEY": newKey, "ENCRYPTION_OLD_KEYS": oldKey])
        #expect(rerun.stdout == "re-encrypted 0 token pair(s) under key \(keyID)\n")

        // Step 3: the old key can go.
        stack.service?.stop()
        try stack.startService(extraEnvironment: ["ENCRYPTION_KEY": newKey])
        try stack.waitUntilHealthy()
        let after = try token(stack, session)
        #expect(after.status == 200)
        #expect(try after.json()["access_token"] as? String == original)
        #expect(try token(stack, otherSession).json()["access_token"] as? String == otherOriginal)
        // New logins are sealed under the new key as well.
        _ = try BrowserLogin(stack: stack).session()
        #expect(try SQLiteShell.run(stack.databasePath, "SELECT DISTINCT key_id FROM hh_tokens;") == [keyID])

        let events = try AdminClient(stack: stack).auditLog("event_type=keys_rotated")
        #expect(events.total == 2)
        let metadata = events.events.last?["event_metadata"] as? [String: Any]
        #expect(metadata?["count"] as? Int == 2)
        #expect(metadata?["key_id"] as? String == keyID)
        #expect(!events.raw.contains(newKey) && !events.raw.contains(oldKey))

        // Without a key the command refuses to run.
        let keyless = try cli.run(["keys", "rotate"], extraEnvironment: ["ENCRYPTION_KEY": nil])
        #expect(keyless.status == 2)
        #expect(keyless.stderr.contains("ENCRYPTION_KEY"))
    }

    // MARK: - maintenance

    @Test func backupWhileServingIsIntactAndHoldsTheWhitelistButNoSessionIDs() throws {
        try #require(SQLiteShell.isAvailable, "sqlite3 is missing (make deps)")
        let stack = try TestStack()
        let cli = OperatorCLI(stack: stack)
        let admin = AdminClient(stack: stack)
        #expect(try admin.allow("200000002", comment: "Бэкап ✓").status == 200)
        let session = try BrowserLogin(stack: stack).session()
        let accessToken = try #require(try token(stack, session).json()["access_token"] as? String)

        // Writers keep going while the copy is taken.
        let writes = DispatchGroup()
        let statuses = StatusList()
        writes.enter()
        DispatchQueue.global().async {
            for index in 0..<30 { statuses.append((try? admin.allow(String(300_000_000 + index)))?.status ?? 0) }
            writes.leave()
        }
        let copy = stack.directory + "/backup.sqlite3"
        let backup = try cli.run(["backup", copy])
        writes.wait()
        #expect(backup.status == 0, "\(backup)")
        #expect(backup.stdout == "backup written to \(copy) (integrity_check: ok)\n")
        #expect(statuses.all == Array(repeating: 200, count: 30))

        #expect(try SQLiteShell.run(copy, "PRAGMA integrity_check;") == ["ok"])
        let whitelist = try SQLiteShell.run(copy, "SELECT hh_user_id FROM allowed_users ORDER BY id LIMIT 2;")
        #expect(whitelist == [TestStack.defaultUserID, "200000002"])
        #expect(
            try SQLiteShell.run(copy, "SELECT comment FROM allowed_users WHERE hh_user_id = '200000002';") == [
                "Бэкап ✓"
            ])
        #expect(try SQLiteShell.run(copy, "SELECT count(*) FROM sessions;") == ["1"])
        // A stolen copy grants nothing: no session id, no plaintext HH token.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        #expect(bytes.range(of: Data(session.utf8)) == nil)
        #expect(bytes.range(of: Data(accessToken.utf8)) == nil)

        let again = try cli.run(["backup", copy])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
        #expect(try SQLiteShell.run(copy, "PRAGMA integrity_check;") == ["ok"])
    }

    @Test func cleanupDeletesExpiredRowsAndPrintsTheCounts() throws {
        let stack = try TestStack(
            .init(environment: [
                "OAUTH_STATE_EXPIRE_MINUTES": "0.05", "EXCHANGE_CODE_EXPIRE_MINUTES": "0.05",
                "SESSION_EXPIRE_HOURS": "0.001",
                "JANITOR_INTERVAL_SECONDS": "86400",
            ]))
        let cli = OperatorCLI(stack: stack)
        let nothing = try cli.run(["cleanup"])
        #expect(nothing.status == 0, "\(nothing)")
        #expect(nothing.stdout == "deleted 0 state(s), 0 exchange code(s), 0 session(s)\n")

        let session = try BrowserLogin(stack: stack).session()
        #expect(try BrowserLogin(stack: stack).run().exchangeCode != nil)
        for _ in 0..<2 { #expect(try stack.http.get("/auth/login").status == 302) }
        let lastCreated = Date()
        // Live rows are left alone.
        #expect(try cli.run(["cleanup"]).stdout == "deleted 0 state(s), 0 exchange code(s), 0 session(s)\n")

        // Expiry is the behaviour under test: 3.6 s for the session, 3 s for states and codes, all
        // counted from before `lastCreated`.
        waitUntilClockPasses(lastCreated.addingTimeInterval(0.001 * 3600 + 0.05))
        let swept = try cli.run(["cleanup"])
        #expect(swept.status == 0, "\(swept)")
        // Used states are kept ten minutes past their expiry (a clock stepped back must not revive one).
        #expect(swept.stdout == "deleted 0 state(s), 1 exchange code(s), 1 session(s)\n")
        #expect(try token(stack, session).detail == "Invalid session")
        #expect(try cli.run(["cleanup"]).stdout == "deleted 0 state(s), 0 exchange code(s), 0 session(s)\n")
    }
}

/// Statuses appended from a background thread.
private final class StatusList: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []

    func append(_ value: Int) {
        lock.lock()
        values.append(value)
        lock.unlock()
    }

    var all: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
