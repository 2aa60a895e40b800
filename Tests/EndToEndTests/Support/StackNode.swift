import ContractScenarios
import Foundation

/// One hh-auth node of a ``TestStack`` with several (`Options.nodes`): its process and log, and
/// the nginx in front of it alone, so a test chooses which node a request reaches. (The stack's
/// own port is nginx's upstream of all the nodes, which round-robins.)
struct StackNode {
    let stack: TestStack
    let index: Int

    var port: UInt16 { stack.nodePorts[index] }
    var process: ManagedProcess? { stack.services[index] }
    /// A client that keeps no cookies, to this node.
    var http: RawHTTPClient { RawHTTPClient(port: port) }
    /// A browser to this node: pass one jar to several nodes' clients and it is one browser
    /// whose requests land where the test says.
    func browser(_ cookies: CookieJar) -> RawHTTPClient { RawHTTPClient(port: port, cookies: cookies) }
    var admin: AdminClient { AdminClient(stack: stack, port: port) }

    var log: String { process?.log ?? "" }

    /// Whether this node wrote the `request` log line of `response` (by its `X-Request-Id`): it
    /// served it. The line is written before the answer leaves the node.
    func served(_ response: WireResponse) -> Bool {
        guard let id = response.headers["x-request-id"], !id.isEmpty else { return false }
        return log.contains("request_id=\(id)")
    }
}

extension TestStack {
    /// Node `index` (from 0) of a stack started with `Options.nodes` > 1.
    func node(_ index: Int) -> StackNode { StackNode(stack: self, index: index) }

    var nodes: [StackNode] { nodePorts.indices.map(node) }

    /// The indexes of the nodes whose log has `response`'s request: exactly one when it was served.
    func nodesThatServed(_ response: WireResponse) -> [Int] { nodes.filter { $0.served(response) }.map(\.index) }
}

/// A browser sign-in whose steps land on chosen nodes: `/auth/login` on one, HH's redirect back
/// (`/auth/callback`) on another, the code's exchange on a third (or the same) — what a client
/// behind a round-robin upstream may see. One cookie jar throughout: one browser.
struct NodeSignIn {
    var login: WireResponse
    var callback: WireResponse
    var exchange: WireResponse
    var sessionID: String?

    static func run(
        _ stack: TestStack, login first: StackNode, callback second: StackNode, exchange third: StackNode,
        asUser user: String? = nil
    ) throws -> NodeSignIn {
        let jar = CookieJar()
        let login = try first.browser(jar).get("/auth/login")
        guard login.status == 302, let authorize = login.headers["location"] else {
            throw HarnessError("login answered \(login.status) \(login.text)")
        }
        let approval = try RawHTTPClient(port: stack.standInPort).get(
            try BrowserLogin.target(of: authorize, expectingPort: stack.standInPort)
                + (user.map { "&as_user=\($0)" } ?? ""))
        guard approval.status == 302, let callbackURL = approval.headers["location"] else {
            throw HarnessError("authorize answered \(approval.status) \(approval.text)")
        }
        // HH sends the browser to HH_REDIRECT_URI (the stack's port); this browser's request for
        // that target goes to the node the test chose.
        let callback = try second.browser(jar).get(
            try BrowserLogin.target(of: callbackURL, expectingPort: stack.httpPort), headers: ["Accept": "text/html"])
        guard let code = BrowserLogin.exchangeCode(in: callback.text) else {
            throw HarnessError("no exchange code: \(callback.status) \(callback.text)")
        }
        let exchange = try third.http.post("/auth/exchange", json: ["exchange_code": code])
        return NodeSignIn(
            login: login, callback: callback, exchange: exchange,
            sessionID: try? exchange.json()["session_id"] as? String)
    }
}
