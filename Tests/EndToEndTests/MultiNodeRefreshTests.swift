import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14, end to end: the refresh single-flight holds across nodes, one HH refresh per expiry
/// however many callers on however many nodes (the lease row in the shared database).
@Suite("Two nodes on one PostgreSQL: one refresh per expiry")
struct MultiNodeRefreshTests {
    @Test func thirtyTwoCallsOnOneExpiredTokenSpreadOverBothNodesRefreshOnce() throws {
        let stack = try TestStack(
            .init(workerThreads: 40, postgreSQL: true, nodes: 2))
        // A token both HH and hh-auth hold as expired: issued with a 1-s lifetime; the refresh
        // then issues 14-day ones.
        try stack.hh.configure(["token_lifetime_seconds": 1])
        let session = try BrowserLogin(stack: stack).session()
        let issued = Date()
        let first = try stack.node(0).http.post("/auth/token", json: ["session_id": session])
        let old = try #require(try first.json()["access_token"] as? String)
        try stack.hh.configure(["token_lifetime_seconds": 1_209_600])
        // HH's expiry is a point in time; waiting for it is the behaviour under test, not synchronisation.
        while Date().timeIntervalSince(issued) < 1.1 { usleep(20_000) }
        try stack.hh.expireAccessTokens()
        let grantsBefore = try #require(try stack.hh.stats()["refresh_grants"])

        // Even callers to node A, odd ones to node B, all released at once.
        let results = ConcurrentResults(count: 32)
        let nodes = stack.nodes
        #expect(
            onThreadsAtOnce(32) { index in
                results.set(index, try? nodes[index % 2].http.post("/auth/token", json: ["session_id": session]))
            })
        let answers = results.all
        #expect(answers.allSatisfy { $0?.status == 200 }, "\(answers.map { $0?.status })")
        let tokens = Set(answers.compactMap { try? $0?.json()["access_token"] as? String })
        #expect(tokens.count == 1)
        #expect(tokens.first != old)
        #expect(try stack.hh.stats()["refresh_grants"] == grantsBefore + 1)
        for (index, answer) in answers.enumerated() {
            if let answer { #expect(stack.nodesThatServed(answer) == [index % 2]) }
        }
        // The new token is the stored one: neither node refreshes again.
        for node in nodes {
            #expect(
                try node.http.post("/auth/token", json: ["session_id": session]).json()["access_token"] as? String
                    == tokens.first)
        }
        #expect(try stack.hh.stats()["refresh_grants"] == grantsBefore + 1)
    }
}
