import Foundation
import HHStandIn
import HTTPCore
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: StandInClock {
    private let current = Mutex(Date(timeIntervalSince1970: 1_750_000_000))

    func now() -> Date { current.withLock { $0 } }

    func advance(seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A stand-in called in process, with helpers that speak to it the way hh-auth and nginx do.
struct StandInHarness {
    static let clientID = "test-client"
    static let clientSecret = "test-secret"
    static let redirectURI = "https://auth.example.com/auth/callback"
    static let userAgent = "hh-auth-tests/1.0 (dev@example.com)"

    let clock = ManualClock()
    let responder: StandInResponder

    init(settings: StandInSettings = StandInSettings(clientID: clientID, clientSecret: clientSecret)) {
        responder = StandInResponder(settings: settings, clock: clock)
    }

    func send(
        _ method: String, _ uri: String, headers: [String: String] = ["User-Agent": userAgent],
        contentType: String? = nil, body: String = ""
    ) -> HTTPResponse {
        responder.respond(to: Self.request(method, uri, headers: headers, contentType: contentType, body: body))
    }

    /// The request as hh-auth sends it and FastCGIHTTP hands it over: path and query split at the
    /// first `?`, header names lowercased.
    static func request(
        _ method: String, _ uri: String, headers: [String: String] = ["User-Agent": userAgent],
        contentType: String? = nil, body: String = ""
    ) -> HTTPRequest {
        let mark = uri.firstIndex(of: "?") ?? uri.endIndex
        let query = mark == uri.endIndex ? ""[...] : uri[uri.index(after: mark)...]
        var fields: [String: String] = [:]
        for (name, value) in headers { fields[name.lowercased()] = value }
        if let contentType { fields["content-type"] = contentType }
        return HTTPRequest(
            method: method, path: String(uri[..<mark]), query: QueryParameters(parsing: query), headers: fields,
            body: Array(body.utf8), clientAddress: "127.0.0.1")
    }

    func authorize(query: String) -> HTTPResponse {
        send("GET", "/oauth/authorize?" + query)
    }

    /// Approves a sign-in and returns the code from the redirect.
    func code(asUser userID: String? = nil) -> String {
        var query = "response_type=code&client_id=\(Self.clientID)&state=s1&redirect_uri=\(Self.redirectURI)"
        if let userID { query += "&as_user=\(userID)" }
        let location = header("Location", of: authorize(query: query)) ?? ""
        return queryValue("code", in: location) ?? ""
    }

    func postForm(_ path: String, _ fields: [(String, String)]) -> HTTPResponse {
        let body = fields.map { "\($0.0)=\(escape($0.1))" }.joined(separator: "&")
        return send("POST", path, contentType: "application/x-www-form-urlencoded", body: body)
    }

    func exchange(_ code: String, secret: String = clientSecret, redirectURI: String = redirectURI) -> HTTPResponse {
        postForm(
            "/token",
            [
                ("grant_type", "authorization_code"), ("client_id", Self.clientID), ("client_secret", secret),
                ("code", code), ("redirect_uri", redirectURI),
            ])
    }

    /// A full sign-in: the access and refresh tokens of a new pair.
    func signIn(asUser userID: String? = nil) -> (access: String, refresh: String) {
        let object = json(exchange(code(asUser: userID)))
        return (object["access_token"] as? String ?? "", object["refresh_token"] as? String ?? "")
    }

    func refresh(_ refreshToken: String) -> HTTPResponse {
        postForm("/token", [("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
    }

    func me(_ accessToken: String?) -> HTTPResponse {
        var headers = ["User-Agent": Self.userAgent]
        if let accessToken { headers["Authorization"] = "Bearer \(accessToken)" }
        return send("GET", "/me", headers: headers)
    }

    func revoke(_ accessToken: String) -> HTTPResponse {
        send(
            "DELETE", "/oauth/token",
            headers: ["User-Agent": Self.userAgent, "Authorization": "Bearer \(accessToken)"])
    }

    func control(_ action: String, _ body: String = "{}") -> HTTPResponse {
        let method = action == "stats" ? "GET" : "POST"
        return send(method, "/_control/\(action)", headers: [:], contentType: "application/json", body: body)
    }

    func stats() -> [String: Any] {
        json(control("stats"))
    }
}

/// The body as a JSON object; empty when it is not one, so `#expect`s on fields fail visibly.
func json(_ response: HTTPResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
}

func text(_ response: HTTPResponse) -> String {
    String(decoding: response.body, as: UTF8.self)
}

func header(_ name: String, of response: HTTPResponse) -> String? {
    response.headers.first { $0.name.lowercased() == name.lowercased() }?.value
}

/// `error_description` of a token endpoint error.
func errorDescription(_ response: HTTPResponse) -> String? {
    json(response)["error_description"] as? String
}

/// `errors[0].value` of an HH error body.
func firstErrorValue(_ response: HTTPResponse) -> String? {
    ((json(response)["errors"] as? [[String: Any]])?.first)?["value"] as? String
}

func queryValue(_ name: String, in url: String) -> String? {
    URLComponents(string: url)?.queryItems?.first { $0.name == name }?.value
}

func escape(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
}
