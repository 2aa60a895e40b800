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
}
