import Foundation
import Testing

/// Issue 9, item 11: `GET /admin/sessions` and `GET /admin/users` answer in pages (`limit`,
/// `offset`, `total` the full count, `user` filter), in the seed's shape.
@Suite("Admin listings are paged")
struct AdminListingTests {
    private func page(_ admin: AdminClient, _ target: String, key: String) throws -> (
        items: [[String: Any]], total: Int
    ) {
        let response = try admin.get(target)
        guard response.status == 200 else {
            throw HarnessError("\(target) answered \(response.status) \(response.text)")
        }
        let body = try response.json()
        #expect(Set(body.keys) == [key, "total"], "\(target): the seed's shape")
        return (try #require(body[key] as? [[String: Any]]), try #require(body["total"] as? Int))
    }

    private func handles(_ items: [[String: Any]]) -> [String] { items.compactMap { $0["id"] as? String } }

    @Test func sessionsComeInPagesNewestFirstWithTheFullTotalAndAUserFilter() throws {
        let stack = try TestStack()
        let admin = AdminClient(stack: stack)
        #expect(try admin.allow("200000002").status == 200)
        let login = BrowserLogin(stack: stack)
        for _ in 0..<3 { _ = try login.session() }
        for _ in 0..<2 { _ = try login.session(asUser: "200000002") }

        let all = try page(admin, "/admin/sessions", key: "sessions")
        #expect(all.total == 5 && all.items.count == 5)
        let order = handles(all.items)
        #expect(Set(order).count == 5)

        let first = try page(admin, "/admin/sessions?limit=2", key: "sessions")
        #expect(first.total == 5)
        #expect(handles(first.items) == Array(order[0..<2]))
        #expect(
            handles(try page(admin, "/admin/sessions?limit=2&offset=2", key: "sessions").items) == Array(order[2..<4]))
        #expect(handles(try page(admin, "/admin/sessions?offset=4&limit=2", key: "sessions").items) == [order[4]])
        let beyond = try page(admin, "/admin/sessions?offset=50", key: "sessions")
        #expect(beyond.items.isEmpty && beyond.total == 5)
        #expect(handles(try page(admin, "/admin/sessions?limit=1000", key: "sessions").items) == order)

        let theirs = try page(admin, "/admin/sessions?user=200000002", key: "sessions")
        #expect(theirs.total == 2 && theirs.items.count == 2)
        #expect(theirs.items.allSatisfy { ($0["user"] as? [String: Any])?["hh_user_id"] as? String == "200000002" })
        #expect(handles(theirs.items) == Array(order[0..<2]), "the last two sign-ins were theirs")
        let mineFirst = try page(
            admin, "/admin/sessions?user=\(TestStack.defaultUserID)&limit=1&offset=1", key: "sessions")
        #expect(mineFirst.total == 3 && handles(mineFirst.items) == [order[3]])
        let nobody = try page(admin, "/admin/sessions?user=999999", key: "sessions")
        #expect(nobody.items.isEmpty && nobody.total == 0)

        let bad = [
            "limit=0", "limit=1001", "limit=-1", "limit=abc", "limit=1.5", "limit=", "offset=-1", "offset=x",
            "offset=99999999999", "user=abc", "user=", "user=123456789012345678901", "user=..%2F1",
        ]
        for query in bad {
            let response = try admin.get("/admin/sessions?" + query)
            #expect(response.status == 422, "\(query): \(response.status)")
            let name = String(query.prefix { $0 != "=" })
            #expect(response.detail?.contains("'\(name)'") == true, "\(query): \(response.text)")
        }
    }

    @Test func usersComeInPagesInTheOrderTheyWereAddedWithTheFullTotal() throws {
        let stack = try TestStack()
        let admin = AdminClient(stack: stack)
        let added = (2...6).map { "20000000\($0)" }
        for id in added { #expect(try admin.allow(id).status == 200) }
        #expect(try admin.delete("/admin/users/200000003").status == 200)
        let everyone = [TestStack.defaultUserID] + added
        func ids(_ items: [[String: Any]]) -> [String] { items.compactMap { $0["hh_user_id"] as? String } }

        let all = try page(admin, "/admin/users", key: "users")
        #expect(all.total == 6 && ids(all.items) == everyone)
        let second = try page(admin, "/admin/users?limit=2&offset=2", key: "users")
        #expect(second.total == 6 && ids(second.items) == Array(everyone[2..<4]))
        let active = try page(admin, "/admin/users?active_only=true&limit=2&offset=1", key: "users")
        #expect(active.total == 5 && ids(active.items) == ["200000002", "200000004"])
        let beyond = try page(admin, "/admin/users?offset=6", key: "users")
        #expect(beyond.items.isEmpty && beyond.total == 6)
        for query in ["limit=0", "limit=1001", "limit=x", "offset=-1", "offset=1e3"] {
            let response = try admin.get("/admin/users?" + query)
            #expect(response.status == 422, "\(query)")
            #expect(response.detail?.contains("'\(query.prefix { $0 != "=" })'") == true, "\(query): \(response.text)")
        }
    }

    @Test func defaultPageIsAHundred() throws {
        try #require(SQLiteShell.isAvailable, "sqlite3 is missing (make deps)")
        let stack = try TestStack()
        try BulkSessions.insert(250, into: stack.databasePath)
        let admin = AdminClient(stack: stack)
        let first = try page(admin, "/admin/sessions", key: "sessions")
        #expect(first.total == 250 && first.items.count == 100)
        #expect(try page(admin, "/admin/sessions?offset=200", key: "sessions").items.count == 50)
        #expect(
            try page(admin, "/admin/sessions?user=\(BulkSessions.hhUserID)&limit=1000", key: "sessions").items.count
                == 250)
    }
}

/// Sessions written straight into the database file, many at once: one SQL statement (a recursive
/// CTE), for a user of their own.
enum BulkSessions {
    static let hhUserID = "300000001"

    static func insert(_ count: Int, into path: String) throws {
        try SQLiteShell.run(
            path,
            """
            INSERT INTO users (hh_user_id, email, full_name, is_active, created_at, updated_at)
                VALUES ('\(hhUserID)', 'bulk@example.com', 'Булк Тестовый', 1, strftime('%s', 'now'), strftime('%s', 'now'));
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count))
            INSERT INTO sessions (id_hash, handle, user_id, created_at, expires_at)
                SELECT randomblob(32), 's_bulk' || i, (SELECT id FROM users WHERE hh_user_id = '\(hhUserID)'),
                    strftime('%s', 'now'), strftime('%s', 'now') + 86400 FROM n;
            """)
    }
}
