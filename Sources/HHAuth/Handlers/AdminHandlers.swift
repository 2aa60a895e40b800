import Foundation
import HTTPCore

/// The admin API under `/admin`, behind HTTP Basic.
struct AdminHandlers: Sendable {
    let authenticator: AdminAuthenticator
    let administration: Administration

    /// Every route through the `/admin` group: a handler gets the ``AdminActor`` that ``actor(_:)``
    /// authenticated (its 401 with a Basic challenge, or 429, answers the request otherwise).
    func register(in router: inout Router) {
        router.group("/admin", scheme: Self.scheme, authenticate: actor) { admin in
            admin.post("/users/allow", Self.uncached(allow))
            admin.get("/users", effects: .readOnly, Self.uncached(listUsers))
            admin.delete("/users/{hh_user_id}", Self.uncached(removeUser))
            admin.get("/sessions", effects: .readOnly, Self.uncached(listSessions))
            admin.delete("/sessions/{id}", Self.uncached(endSession))
            admin.get("/audit-log", effects: .readOnly, Self.uncached(auditLog))
        }
    }

    /// Admin answers carry people's names, emails and the audit trail, so no cache between the
    /// admin and the service (a shared proxy, the browser's disk) may keep one.
    private static func uncached(
        _ handler: @escaping AuthenticatedRoutes<AdminActor>.Handler
    ) -> AuthenticatedRoutes<AdminActor>.Handler {
        { request, actor in
            var response = try handler(request, actor)
            response.headers.append(HTTPHeader("Cache-Control", "no-store"))
            return response
        }
    }

    /// The name of HTTP Basic admin authentication in the route table (`hh-auth routes`).
    static let scheme = "basic-admin"

    /// About what one event takes in an audit page (~300 bytes with a browser's user agent), so
    /// the page's buffer is reserved once.
    static let auditEventBytes = 320

    private func actor(_ request: HTTPRequest) throws -> AdminActor {
        let credentials = BasicCredentials(header: request.header("authorization")).map {
            AdminCredentials(username: $0.username, password: $0.password)
        }
        let origin = request.origin
        return AdminActor(name: try authenticator.authenticate(credentials, origin: origin), origin: origin)
    }

    /// Without `groups` (or with `null`) an entry keeps its groups, as old clients expect.
    private struct AllowBody: Decodable {
        let hh_user_id: String
        let comment: String?
        let groups: [String]?
    }

    private struct UserList: Encodable {
        let users: [AllowedUser]
        let total: Int
    }

    private struct SessionList: Encodable {
        let sessions: [SessionListing]
        let total: Int
    }

    private struct Message: Encodable { let message: String }

    func allow(_ request: HTTPRequest, actor: AdminActor) throws -> HTTPResponse {
        let body = try JSONCoding.decodeObject(AllowBody.self, from: request.body)
        return try .json(
            try administration.allow(
                hhUserID: body.hh_user_id, comment: body.comment, groups: body.groups, by: actor))
    }

    func listUsers(_ request: HTTPRequest, actor: AdminActor) throws -> HTTPResponse {
        let activeOnly = try QueryValidation.boolean(request.query["active_only"], name: "active_only") ?? false
        let paging = try QueryValidation.paging(request.query)
        let page = try administration.usersPage(activeOnly: activeOnly, limit: paging.limit, offset: paging.offset)
        return try .json(UserList(users: page.items, total: page.total))
    }

    func removeUser(_ request: HTTPRequest, actor: AdminActor) throws -> HTTPResponse {
        let id = request.pathParameters["hh_user_id"] ?? ""
        guard try administration.remove(hhUserID: id, by: actor) != nil else { throw HTTPError(404, "User not found") }
        return try .json(Message(message: "User removed from whitelist"))
    }

    func listSessions(_ request: HTTPRequest, actor: AdminActor) throws -> HTTPResponse {
        let paging = try QueryValidation.paging(request.query)
        let user = try QueryValidation.hhUserID(request.query["user"], name: "user")
        let page = try administration.sessionsPage(hhUserID: user, limit: paging.limit, offset: paging.offset)
        return try .json(SessionList(sessions: page.items, total: page.total))
    }

    func endSession(_ request: HTTPRequest, actor: AdminActor) throws -> HTTPResponse {
        guard try administration.endSession(request.pathParameters["id"] ?? "", by: actor) else {
            throw HTTPError(404, "Session not found")
        }
        return try .json(Message(message: "Session terminated"))
    }

    func auditLog(_ request: HTTPRequest, actor: AdminActor) throws -> HTTPResponse {
        let (limit, offset) = try QueryValidation.paging(request.query)
        let filter = AuditFilter(
            eventType: try QueryValidation.eventType(request.query["event_type"]),
            userID: try QueryValidation.integer(request.query["user_id"], name: "user_id", range: 0...Int.max).map(
                Int64.init),
            since: try QueryValidation.timestamp(request.query["since"], name: "since"),
            until: try QueryValidation.timestamp(request.query["until"], name: "until"))
        // Written by hand into one buffer reserved for the usual page, the events straight from
        // the rows (``AuditEventJSON``); sorted keys, like ``JSONCoding/encoder``, whose bytes
        // AuditPageJSONTests hold it to.
        var body: [UInt8] = []
        body.reserveCapacity(64 + limit * Self.auditEventBytes)
        body += #"{"events":"#.utf8
        let total = try administration.appendAuditPageJSON(filter, limit: limit, offset: offset, to: &body)
        body += #","limit":"#.utf8
        JSONText.appendInteger(Int64(limit), to: &body)
        body += #","offset":"#.utf8
        JSONText.appendInteger(Int64(offset), to: &body)
        body += #","total":"#.utf8
        JSONText.appendInteger(Int64(total), to: &body)
        body.append(UInt8(ascii: "}"))
        return HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", HTTPResponse.jsonContentType)], body: body)
    }
}

/// Query-string values checked the way the contract wants: bad input → 422 naming the parameter.
enum QueryValidation {
    static func integer(_ text: String?, name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw HTTPError(
                422, "Query parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `limit` (1 to ``Administration/maxLimit``, default ``Administration/defaultLimit``) and `offset`.
    static func paging(_ query: QueryParameters) throws -> (limit: Int, offset: Int) {
        let limit =
            try integer(query["limit"], name: "limit", range: 1...Administration.maxLimit)
            ?? Administration.defaultLimit
        let offset = try integer(query["offset"], name: "offset", range: 0...Int(Int32.max)) ?? 0
        return (limit, offset)
    }

    static func hhUserID(_ text: String?, name: String) throws -> String? {
        guard let text else { return nil }
        guard HHUserID.isValid(text) else {
            throw HTTPError(422, "Query parameter '\(name)' must be an HH user id (1 to 20 digits)")
        }
        return text
    }

    /// The contract's words (docs/openapi.yaml): `true`/`1`/`yes` or `false`/`0`/`no`, in any
    /// case, and no others. Settings have their own list (``ConfigurationParser/boolean(_:)``).
    static func boolean(_ text: String?, name: String) throws -> Bool? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw HTTPError(422, "Query parameter '\(name)' must be true or false")
        }
    }

    static func timestamp(_ text: String?, name: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = RFC3339.parse(text) else {
            throw HTTPError(422, "Query parameter '\(name)' must be an RFC 3339 timestamp like 2025-01-10T10:00:00Z")
        }
        return date
    }

    static func eventType(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard (1...64).contains(text.utf8.count), text.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || $0 == 95 }) else {
            throw HTTPError(422, "Query parameter 'event_type' must be an event type like login_failed")
        }
        return text
    }
}

/// RFC 3339 timestamps, with or without fractional seconds, or a bare date (midnight UTC).
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return day.date(from: text)
    }
}
