import Foundation
import Testing

/// Issue 14, end to end: the refresh single-flight holds across nodes, one HH refresh per expiry
/// however many callers on however many nodes (the lease row in the shared database).
@Suite("Two nodes on one PostgreSQL: one refresh per expiry")
struct MultiNodeRefreshTests {
    @Test func thirtyTwoCallsOnOneExpiredTokenSpreadOverBothNodesRefreshOnce() throws {
        let stack = try TestStack(
            .init(workerThreads: 40, postgreSQL: true, nodes: 2))
        // A token hh-auth holds as expired from the start (HH says `expires_in: 0`), which HH then
        // expires too: no waiting for a clock. The refresh then issues 14-day ones.
        try stack.hh.configure(["expires_in_offset_seconds": -1_209_600])
        let session = try BrowserLogin(stack: stack).session()
        try stack.hh.configure(["expires_in_offset_seconds": 0])
        try stack.hh.expireAccessTokens()
        let grantsBefore = try #require(try stack.hh.stats()["refresh_grants"])
        let failuresBefore = try #require(try stack.hh.stats()["refresh_failures"])
        // HH answers the refresh slowly: the 32 calls, released at once, all arrive while one
        // node holds the lease and waits for HH, so those on the other node find it held. With the
        // lease always granted, each node would send a refresh of the one refresh token: the
        // second is refused (a refresh failure at HH), though the node then finds the other's pair
        // stored and every caller still gets it.
        try stack.hh.delay("token", seconds: 3, count: 1)

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
        #expect(try stack.hh.stats()["refresh_grants"] == grantsBefore + 1)
        #expect(try stack.hh.stats()["refresh_failures"] == failuresBefore, "HH saw a second refresh")
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
