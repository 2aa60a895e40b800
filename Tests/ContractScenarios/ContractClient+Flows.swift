import Foundation
import Testing

/// The requests and browser steps the scenarios are made of, built from `send` and `authorize`.
extension ContractClient {
    public func get(_ target: String, headers: [String: String] = [:]) throws -> ContractResponse {
        try send("GET", target, headers: headers, body: nil)
    }

    /// A POST with this text as its JSON body (sent byte for byte, so it may be malformed).
    public func post(_ target: String, json: String, headers: [String: String] = [:]) throws -> ContractResponse {
        var all = headers
        all["Content-Type"] = all["Content-Type"] ?? "application/json"
        return try send("POST", target, headers: all, body: Array(json.utf8))
    }

    /// A POST without a body (the session id in `Authorization`).
    public func post(_ target: String, headers: [String: String]) throws -> ContractResponse {
        try send("POST", target, headers: headers, body: nil)
    }

    // MARK: - Browser sign-in

    /// `GET /auth/login` (for a client redirect when given): the `Location` of its redirect to HH.
    public func startLogin(redirect: String? = nil) throws -> String {
        let login = try get("/auth/login" + (redirect.map { "?redirect_uri=" + Contract.encode($0) } ?? ""))
        try #require(login.status == 302, "login answered \(login.status) \(login.text)")
        return try #require(login.header("Location"))
    }

    /// The callback target HH sends the browser back to, with a fresh state and code.
    public func callbackTarget(as hhUserID: String? = nil, deny: Bool = false, redirect: String? = nil) throws
        -> String
    {
        try authorize(try startLogin(redirect: redirect), as: hhUserID ?? user.hhUserID, deny: deny)
    }

    /// `/auth/login` → HH → `/auth/callback`: the callback's answer.
    public func browserLogin(as hhUserID: String? = nil, accept: String = "text/html") throws -> ContractResponse {
        try get(try callbackTarget(as: hhUserID), headers: ["Accept": accept])
    }

    /// A whole browser sign-in: the exchange code from the success page.
    public func exchangeCode(as hhUserID: String? = nil) throws -> String {
        let page = try browserLogin(as: hhUserID)
        try #require(page.status == 200, "callback answered \(page.status) \(page.text.prefix(300))")
        return try #require(Contract.exchangeCode(inPage: page.text))
    }

    public func exchange(_ code: String) throws -> ContractResponse {
        try post("/auth/exchange", json: #"{"exchange_code":"\#(code)"}"#)
    }

    /// Sign-in plus `/auth/exchange`: a live session id.
    public func signIn(as hhUserID: String? = nil) throws -> String {
        let response = try exchange(try exchangeCode(as: hhUserID))
        try #require(response.status == 200, "exchange answered \(response.status) \(response.text)")
        return try #require(response.json["session_id"] as? String)
    }

    /// `/auth/token` (or `/auth/refresh`) with the session id in the body.
    public func token(_ sessionID: String, path: String = "/auth/token") throws -> ContractResponse {
        try post(path, json: #"{"session_id":"\#(sessionID)"}"#)
    }

    public func bearer(_ sessionID: String) -> [String: String] { ["Authorization": "Bearer \(sessionID)"] }

    // MARK: - Admin API

    /// An admin request with the right credentials; `json` is the body, sent as is.
    public func asAdmin(_ method: String, _ target: String, json: String? = nil) throws -> ContractResponse {
        var headers = ["Authorization": admin.authorization]
        if json != nil { headers["Content-Type"] = "application/json" }
        return try send(method, target, headers: headers, body: json.map { Array($0.utf8) })
    }

    public func allow(_ hhUserID: String, comment: String? = nil) throws -> ContractResponse {
        let commentField = comment.map { #","comment":"\#($0)""# } ?? ""
        return try asAdmin("POST", "/admin/users/allow", json: #"{"hh_user_id":"\#(hhUserID)"\#(commentField)}"#)
    }

    /// The whitelist's ids in the order `GET /admin/users` lists them.
    public func whitelistedIDs(_ query: String = "") throws -> [String] {
        let users = try asAdmin("GET", "/admin/users" + query).json["users"] as? [[String: Any]] ?? []
        return users.compactMap { $0["hh_user_id"] as? String }
    }

    /// `GET /admin/audit-log?<query>`; fails unless it answers 200.
    public func auditLog(_ query: String) throws -> AuditLogPage {
        let response = try asAdmin("GET", "/admin/audit-log?" + query)
        try #require(response.status == 200, "audit-log answered \(response.status) \(response.text)")
        return AuditLogPage(raw: response.text, json: response.json)
    }

    // MARK: - Checks

    /// Expects an RFC 3339 timestamp `offset` seconds after the service's now, within its tolerance.
    public func expectTime(
        _ text: String?, isNowPlus offset: TimeInterval = 0, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let date = text.flatMap(ISO8601DateFormatter().date(from:))
        #expect(text?.hasSuffix("Z") == true, "\(text ?? "nil") is not UTC", sourceLocation: sourceLocation)
        let expected = now().addingTimeInterval(offset)
        let distance = date.map { abs($0.timeIntervalSince(expected)) } ?? .infinity
        #expect(
            distance <= clockTolerance, "\(text ?? "nil") is \(distance) s from \(expected)",
            sourceLocation: sourceLocation)
    }
}

extension Contract {
    public static func exchangeCode(inPage html: String) -> String? {
        guard let element = html.range(of: #"id="exchange-code""#) else { return nil }
        let rest = html[element.upperBound...]
        guard let start = rest.range(of: #"value=""#), let end = rest[start.upperBound...].firstIndex(of: "\"") else {
            return nil
        }
        return String(rest[start.upperBound..<end])
    }

    /// Every byte outside the unreserved set percent-encoded, for query values.
    public static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }
}

/// One page of `GET /admin/audit-log`, decoded loosely.
public struct AuditLogPage {
    public let raw: String
    public let events: [[String: Any]]
    public let total: Int

    init(raw: String, json: [String: Any]) {
        self.raw = raw
        events = json["events"] as? [[String: Any]] ?? []
        total = json["total"] as? Int ?? -1
    }

    /// The newest event's metadata.
    public var newest: [String: Any] { events.first?["event_metadata"] as? [String: Any] ?? [:] }

    public func metadata(_ key: String) -> [String] {
        events.compactMap { ($0["event_metadata"] as? [String: Any])?[key] as? String }
    }
}
