import Foundation
import Testing

/// Issue 14, end to end: two hh-auth nodes on one PostgreSQL database, each behind an nginx of its
/// own and both behind the stack's one upstream. A client's requests land on either node, and
/// every flow works whichever node served the step before.
@Suite("Two nodes on one PostgreSQL: the flows")
struct MultiNodeFlowTests {
    static let otherUser = "200000777"

    /// Login, session, admin and audit with each step of one client sent to the other node than
    /// the step before; each answer's request line is in the log of the node it was sent to only.
    @Test func oneClientsRequestsAlternateBetweenTheNodes() throws {
        let stack = try TestStack(.init(postgreSQL: true, nodes: 2))
        let (a, b) = (stack.node(0), stack.node(1))
        var sentTo: [(answer: WireResponse, node: Int)] = []
        func on(_ node: StackNode, _ answer: WireResponse) -> WireResponse {
            sentTo.append((answer, node.index))
            return answer
        }

        // Login: started on A, back from HH on B (the state A sealed, the cookie A set), exchanged on A.
        let signIn = try NodeSignIn.run(stack, login: a, callback: b, exchange: a)
        sentTo += [(signIn.login, 0), (signIn.callback, 1), (signIn.exchange, 0)]
        #expect(signIn.callback.status == 200)
        #expect(signIn.exchange.status == 200, "\(signIn.exchange.text)")
        let session = try #require(signIn.sessionID)
        let code = try #require(BrowserLogin.exchangeCode(in: signIn.callback.text))
        let replayed = on(b, try b.http.post("/auth/exchange", json: ["exchange_code": code]))
        #expect(replayed.status == 400)
        #expect(replayed.detail == "Invalid or expired exchange code")

        // Session: the token from B, the same from A; the user on either.
        let fromB = on(b, try b.http.post("/auth/token", json: ["session_id": session]))
        #expect(fromB.status == 200)
        let token = try #require(try fromB.json()["access_token"] as? String)
        let fromA = on(a, try a.http.post("/auth/token", json: ["session_id": session]))
        #expect(try fromA.json()["access_token"] as? String == token)
        let me = on(a, try a.http.get("/users/me", headers: ["Authorization": "Bearer \(session)"]))
        #expect(me.status == 200)
        #expect(on(b, try b.http.get("/users/me?session_id=\(session)")).status == 200)

        // Admin: allowed on A, listed on B; the new user signs in B → A → B, is listed on A,
        // ended on B and refused on A.
        try stack.hh.addUser(id: Self.otherUser, firstName: "Second", lastName: "Node", email: "second@example.com")
        #expect(on(a, try a.admin.allow(Self.otherUser, comment: "allowed on node A")).status == 200)
        let users = on(b, try b.admin.get("/admin/users"))
        let listed = try (users.json()["users"] as? [[String: Any]] ?? []).compactMap { $0["hh_user_id"] as? String }
        #expect(listed.contains(Self.otherUser))
        let other = try NodeSignIn.run(stack, login: b, callback: a, exchange: b, asUser: Self.otherUser)
        sentTo += [(other.login, 1), (other.callback, 0), (other.exchange, 1)]
        let otherSession = try #require(other.sessionID, "\(other.exchange.text)")
        let theirs = on(a, try a.admin.get("/admin/sessions?user=\(Self.otherUser)"))
        #expect(try theirs.json()["total"] as? Int == 1)
        #expect(on(b, try b.admin.delete("/admin/sessions/\(otherSession)")).status == 200)
        let ended = on(a, try a.http.post("/auth/token", json: ["session_id": otherSession]))
        #expect(ended.status == 401)

        // Logout on B: A, which answered this session from memory, knows it no more within the
        // session cache's bound (SESSION_CACHE_MS, 100 ms by default; typically at once). B, that
        // wrote, at once.
        #expect(on(b, try b.http.post("/auth/logout", json: ["session_id": session])).status == 200)
        #expect(on(b, try b.http.post("/auth/token", json: ["session_id": session])).status == 401)
        let loggedOutAt = Date()
        var loggedOut = try a.http.post("/auth/token", json: ["session_id": session])
        // Asked again while A answers from memory, until a request starts past the bound.
        while loggedOut.status == 200 {
            let started = Date()
            loggedOut = try a.http.post("/auth/token", json: ["session_id": session])
            if started.timeIntervalSince(loggedOutAt) > 0.1 { break }
        }
        sentTo.append((loggedOut, 0))
        #expect(loggedOut.status == 401)
        #expect(loggedOut.detail == "Invalid session")

        // Audit: either node's trail holds what both wrote, ids without gaps, and the chain verifies.
        let page = try a.admin.auditLog()
        #expect(page.ids.sorted() == Array(1...page.total))
        let types = Set(page.events.compactMap { $0["event_type"] as? String })
        for type in ["login", "session_created", "user_allowed", "session_terminated", "logout"] {
            #expect(types.contains(type), "no \(type) event in \(types)")
        }
        #expect(try b.admin.auditLog().total == page.total)
        let verified = try OperatorCLI(stack: stack).run(["audit", "verify"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout == "OK: \(page.total) events, chain intact\n")

        for (answer, node) in sentTo {
            #expect(stack.nodesThatServed(answer) == [node], "\(answer.status) \(answer.text.prefix(120))")
        }
    }

    /// Sign-ins in parallel through the stack's upstream, which spreads them over both nodes:
    /// each session works on both nodes afterwards, and the audit chain the concurrent appends
    /// of two processes built verifies.
    @Test func parallelSignInsThroughTheUpstreamKeepTheAuditChainWhole() throws {
        let stack = try TestStack(
            .init(
                environment: ["INITIAL_ALLOWED_USERS": "100000001,200000001,200000002,200000003"],
                postgreSQL: true, nodes: 2))
        let users = ["100000001", "200000001", "200000002", "200000003"]
        for user in users.dropFirst() {
            try stack.hh.addUser(id: user, firstName: "User", lastName: user, email: "\(user)@example.com")
        }
        let count = 16
        let results = LockedBox<[Int: Result<NodeSignInThroughUpstream, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let result = Result { try NodeSignInThroughUpstream.run(stack, asUser: users[index % users.count]) }
            results.update { $0[index] = result }
        }
        var sessions: [String] = []
        var servedBy: [Int: Int] = [:]
        for index in 0..<count {
            switch results.value[index] {
            case .success(let signIn)?:
                sessions.append(signIn.sessionID)
                for answer in signIn.answers {
                    let nodes = stack.nodesThatServed(answer)
                    #expect(nodes.count == 1, "served by \(nodes)")
                    for node in nodes { servedBy[node, default: 0] += 1 }
                }
            case .failure(let error)?: Issue.record("sign-in \(index): \(error)")
            case nil: Issue.record("sign-in \(index) did not finish")
            }
        }
        #expect(sessions.count == count)
        #expect(servedBy[0, default: 0] > 0 && servedBy[1, default: 0] > 0, "the upstream used one node: \(servedBy)")
        for session in sessions {
            for node in stack.nodes {
                let token = try node.http.post("/auth/token", json: ["session_id": session])
                #expect(token.status == 200, "node \(node.index): \(token.text)")
            }
        }
        let page = try stack.node(1).admin.auditLog()
        #expect(page.events(ofType: "login").count == count)
        #expect(page.ids.sorted() == Array(1...page.total))
        let verified = try OperatorCLI(stack: stack).run(["audit", "verify"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout == "OK: \(page.total) events, chain intact\n")
    }
}

/// A browser sign-in through the stack's upstream (``BrowserLogin``), with the answers of the
/// steps that reached a node.
struct NodeSignInThroughUpstream {
    var sessionID: String
    var answers: [WireResponse]

    static func run(_ stack: TestStack, asUser user: String) throws -> NodeSignInThroughUpstream {
        let outcome = try BrowserLogin(stack: stack).run(authorizeExtras: "&as_user=\(user)")
        guard let code = outcome.exchangeCode else {
            throw HarnessError("no exchange code: \(outcome.callback.status) \(outcome.callback.text)")
        }
        let exchange = try stack.http.post("/auth/exchange", json: ["exchange_code": code])
        guard exchange.status == 200, let id = try exchange.json()["session_id"] as? String else {
            throw HarnessError("exchange answered \(exchange.status) \(exchange.text)")
        }
        return NodeSignInThroughUpstream(sessionID: id, answers: [outcome.callback, exchange])
    }
}
