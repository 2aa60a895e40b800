import Foundation
import HTTPCore
import Testing

@testable import HHAuth

/// The gateway's routes as its own router holds them: `hh-auth routes`, the end-to-end tests and
/// the router fuzzer read ``Gateway/routeTable``, which must be that table, and every admin route
/// in it is behind the admin's HTTP Basic authentication.
@Suite("Route table")
struct RouteTableTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness()
    }

    private var table: [RouteDescription] { harness.gateway.application.router.table }

    @Test func theDeclaredTableIsTheRoutersOwn() {
        #expect(table == Gateway.routeTable)
        #expect(table.count >= 15)
        #expect(table.map { RouteDescription($0.description) } == table, "every line reads back")
    }

    @Test func everyRouteUnderAdminIsAuthenticatedByTheAdminsBasicScheme() {
        let admin = table.filter { $0.pattern == "/admin" || $0.pattern.hasPrefix("/admin/") }
        #expect(admin.count >= 6)
        for route in table {
            let underAdmin = admin.contains(route)
            #expect(
                (route.authentication == "basic-admin") == underAdmin,
                "\(route): only and every /admin route is basic-admin")
        }
    }

    /// Straight from the table: a route added to a group later is covered without an edit. The
    /// admin routes challenge for Basic, the session-cookie routes for a Bearer session.
    @Test func everyAuthenticatedRouteAnswersACallerWithoutCredentials401WithItsSchemesChallenge() {
        let challenges = ["basic-admin": "Basic realm=\"hh-auth\"", "session": "Bearer"]
        for route in table where route.authentication != nil {
            let uri = route.pattern.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("{") ? "1001" : String($0) }.joined(separator: "/")
            for authorization in [
                nil, "Bearer not-an-admin", "Basic " + Data("admin:wrong".utf8).base64EncodedString(),
            ] {
                // The verify routes answer only as nginx's verify location calls them.
                let fromNginx =
                    route.pattern.hasPrefix("/auth/verify")
                    ? ["HH_AUTH_ORIGINAL_METHOD": "GET", "HH_AUTH_ORIGINAL_URI": "/"] : [:]
                let response = harness.send(
                    route.method, uri, headers: authorization.map { ["Authorization": $0] } ?? [:], extra: fromNginx)
                #expect(response.status == 401, "\(route.method) \(uri) with \(authorization ?? "nothing")")
                #expect(
                    response.header("WWW-Authenticate") == challenges[route.authentication ?? ""],
                    "\(route.method) \(uri)")
            }
        }
    }

    /// Admin answers carry people's names, emails and the audit trail: no cache between the admin
    /// and the service (a shared proxy, the browser's disk) may keep one. Straight from the table,
    /// so a route added to the group later is covered without an edit.
    @Test func everyAdminSuccessIsNoStore() {
        let admin = "Basic " + Data("admin:admin".utf8).base64EncodedString()
        var answered = 0
        for route in table where route.authentication == "basic-admin" {
            let uri = route.pattern.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("{") ? "1001" : String($0) }.joined(separator: "/")
            let json = route.method == "POST" ? #"{"hh_user_id":"1001"}"# : nil
            let response = harness.send(route.method, uri, headers: ["Authorization": admin], json: json)
            #expect(response.status < 500, "\(route.method) \(uri): \(response.status)")
            // An error (here the 404 of an unknown session) carries nothing to keep.
            guard (200..<300).contains(response.status) else { continue }
            answered += 1
            #expect(response.header("Cache-Control") == "no-store", "\(route.method) \(uri)")
        }
        #expect(answered >= 5)
    }

    /// Every route of the table, its literal segments spelled with escapes (`/%61dmin/...`), is the
    /// same route, as nginx (which decodes before it picks a location) sees it; and the one from
    /// issue 11 through the gateway: `GET /admin/users/%61llow` is the 405 of `/admin/users/allow`,
    /// not a 422 for a user called `allow`.
    @Test func aRouteSpelledWithEscapesIsTheSameRoute() {
        let router = harness.gateway.application.router
        for route in table {
            let segments = route.pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            let plain = segments.map { $0.hasPrefix("{") ? "1001" : $0 }.joined(separator: "/")
            let escaped = segments.map { segment in
                if segment.hasPrefix("{") { return "1001" }
                guard let first = segment.utf8.first else { return segment }
                return "%" + String(first, radix: 16, uppercase: true) + segment.dropFirst()
            }.joined(separator: "/")
            guard case .found(let expected, _, _) = router.match(method: route.method, path: plain),
                case .found(let pattern, _, _) = router.match(method: route.method, path: escaped)
            else {
                Issue.record("\(route.method) \(escaped) does not match as \(plain) does")
                continue
            }
            #expect(pattern == expected, "\(route.method) \(escaped)")
        }
        let admin = ["Authorization": "Basic " + Data("admin:admin".utf8).base64EncodedString()]
        let escaped = harness.send("GET", "/admin/users/%61llow", headers: admin)
        #expect(escaped.status == 405, "\(escaped.status) \(escaped.text)")
        #expect(escaped.header("Allow") == harness.send("GET", "/admin/users/allow", headers: admin).header("Allow"))
    }
}
