import Foundation

/// The stand-in's control API, for arranging HH's behaviour in a test.
struct StandInControl {
    let client: RawHTTPClient

    func configure(_ settings: [String: Any]) throws {
        try expectOK(client.post("/_control/config", json: settings))
    }

    func addUser(id: String, firstName: String, lastName: String, middleName: String? = nil, email: String) throws {
        var profile: [String: Any] = ["id": id, "first_name": firstName, "last_name": lastName, "email": email]
        profile["middle_name"] = middleName ?? NSNull()
        try expectOK(client.post("/_control/users", json: profile))
    }

    /// `mode`: "500", "garbage", "hang" or "none" (for "delay" see ``delay(_:seconds:count:)``).
    func fail(_ endpoint: String, mode: String, count: Int? = nil, hangSeconds: Double? = nil) throws {
        var body: [String: Any] = ["endpoint": endpoint, "mode": mode]
        if let count { body["count"] = count }
        if let hangSeconds { body["hang_seconds"] = hangSeconds }
        try expectOK(client.post("/_control/fail", json: body))
    }

    /// Holds the next `count` answers of `endpoint` (all when nil) for `seconds`, then answers normally.
    func delay(_ endpoint: String, seconds: Double, count: Int? = nil) throws {
        var body: [String: Any] = ["endpoint": endpoint, "mode": "delay", "delay_seconds": seconds]
        if let count { body["count"] = count }
        try expectOK(client.post("/_control/fail", json: body))
    }

    /// Requests held at the stand-in by a `delay` or `hang` right now.
    func inFlight() throws -> Int { try stats()["in_flight"] ?? 0 }

    func expireAccessTokens() throws { try expectOK(client.post("/_control/expire", json: [:])) }

    func deactivate(userID: String) throws {
        try expectOK(client.post("/_control/deactivate", json: ["user_id": userID]))
    }

    func stats() throws -> [String: Int] {
        let response = try client.get("/_control/stats")
        guard response.status == 200 else { throw HarnessError("stats: \(response.status) \(response.text)") }
        return try response.json().compactMapValues { $0 as? Int }
    }

    private func expectOK(_ response: WireResponse) throws {
        guard (200..<300).contains(response.status) else {
            throw HarnessError("stand-in control: \(response.status) \(response.text)")
        }
    }
}

/// What a browser does: follow the login redirects through the stand-in and read the result.
/// Each value is one browser (``browser``, with its own cookie jar): the callback of a login must
/// come from the browser that started it.
struct BrowserLogin {
    let stack: TestStack
    let browser: RawHTTPClient

    init(stack: TestStack, browser: RawHTTPClient? = nil) {
        self.stack = stack
        self.browser = browser ?? stack.browser()
    }

    struct Outcome {
        var callback: WireResponse
        var exchangeCode: String?
    }

    /// `/auth/login` → HH authorize → `/auth/callback`; `authorizeExtras` is appended to the
    /// authorize URL (`as_user=…`, `deny=1`); `callbackHeaders` go with the callback's request.
    func run(
        loginQuery: String = "", authorizeExtras: String = "", accept: String = "text/html",
        callbackHeaders: [String: String] = [:]
    ) throws -> Outcome {
        let login = try browser.get("/auth/login" + loginQuery)
        guard login.status == 302, let authorize = login.headers["location"] else {
            throw HarnessError("login answered \(login.status) \(login.text)")
        }
        let authorizeTarget = try Self.target(of: authorize, expectingPort: stack.standInPort) + authorizeExtras
        let approval = try RawHTTPClient(port: stack.standInPort).get(authorizeTarget)
        guard approval.status == 302, let callbackURL = approval.headers["location"] else {
            throw HarnessError("authorize answered \(approval.status) \(approval.text)")
        }
        let callback = try browser.get(
            try Self.target(of: callbackURL, expectingPort: stack.httpPort),
            headers: callbackHeaders.merging(["Accept": accept]) { _, accept in accept })
        return Outcome(callback: callback, exchangeCode: Self.exchangeCode(in: callback.text))
    }

    /// A full login and exchange: returns a session id.
    func session(asUser user: String? = nil) throws -> String {
        let outcome = try run(authorizeExtras: user.map { "&as_user=\($0)" } ?? "")
        guard let code = outcome.exchangeCode else {
            throw HarnessError("no exchange code: \(outcome.callback.status) \(outcome.callback.text)")
        }
        let exchange = try stack.http.post("/auth/exchange", json: ["exchange_code": code])
        guard exchange.status == 200, let id = try exchange.json()["session_id"] as? String else {
            throw HarnessError("exchange answered \(exchange.status) \(exchange.text)")
        }
        return id
    }

    static func target(of url: String, expectingPort port: UInt16) throws -> String {
        guard let components = URLComponents(string: url), components.port.map(UInt16.init) == port else {
            throw HarnessError("unexpected redirect target \(url)")
        }
        return components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    static func exchangeCode(in html: String) -> String? {
        guard let marker = html.range(of: "id=\"exchange-code\"") else { return nil }
        let rest = html[marker.upperBound...]
        guard let valueStart = rest.range(of: "value=\"") else { return nil }
        let tail = rest[valueStart.upperBound...]
        guard let end = tail.firstIndex(of: "\"") else { return nil }
        return String(tail[..<end])
    }
}
