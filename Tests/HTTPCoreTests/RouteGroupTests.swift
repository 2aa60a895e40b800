import Synchronization
import Testing

@testable import HTTPCore

/// Routes behind authentication: a group's handlers receive the identity only its authentication
/// produces, and no route can answer a path under a group's prefix without it.
@Suite("Route groups")
struct RouteGroupTests {
    /// How often the handlers ran, across threads.
    final class Calls: Sendable {
        let count = Mutex(0)
        func record() { count.withLock { $0 += 1 } }
        var total: Int { count.withLock { $0 } }
    }

    /// The caller is whoever `X-User` names; without it, 401.
    static func user(_ request: HTTPRequest) throws -> String {
        guard let name = request.header("x-user") else { throw HTTPError(401, "Invalid credentials") }
        return name
    }

    static func router(calls: Calls) -> Router {
        var router = Router()
        router.get("/health", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        router.group("/admin", scheme: "test-user", authenticate: user) { admin in
            admin.get("/users/{id}", effects: .readOnly) { request, user in
                calls.record()
                return HTTPResponse(
                    status: 200, body: Array("\(user) reads \(request.pathParameters["id"] ?? "")".utf8))
            }
            admin.delete("/users/{id}") { _, user in
                calls.record()
                return HTTPResponse(status: 204, body: Array(user.utf8))
            }
            admin.post("") { _, _ in
                calls.record()
                return HTTPResponse(status: 201)
            }
        }
        router.post("/auth/token") { _ in HTTPResponse(status: 201) }
        return router
    }

    private func run(_ router: Router, _ method: String, _ path: String, user: String?) throws -> HTTPResponse {
        guard case .found(_, let parameters, let handler) = router.match(method: method, path: path) else {
            throw HTTPError(404, "\(method) \(path) matched nothing")
        }
        var request = HTTPRequest(method: method, path: path, headers: user.map { ["x-user": $0] } ?? [:])
        request.pathParameters = parameters
        return try handler(request)
    }

    @Test func aHandlerReceivesTheIdentityItsGroupAuthenticated() throws {
        let calls = Calls()
        let router = Self.router(calls: calls)
        let read = try run(router, "GET", "/admin/users/7", user: "ann")
        #expect(String(decoding: read.body, as: UTF8.self) == "ann reads 7")
        #expect(String(decoding: try run(router, "DELETE", "/admin/users/7", user: "bob").body, as: UTF8.self) == "bob")
        #expect(try run(router, "POST", "/admin", user: "ann").status == 201)
        #expect(calls.total == 3)
    }

    @Test func aRefusedCallerNeverReachesTheHandler() {
        let calls = Calls()
        let router = Self.router(calls: calls)
        for (method, path) in [("GET", "/admin/users/7"), ("HEAD", "/admin/users/7"), ("DELETE", "/admin/users/7")] {
            #expect(throws: HTTPError(401, "Invalid credentials"), "\(method) \(path)") {
                try run(router, method, path, user: nil)
            }
        }
        #expect(calls.total == 0)
    }

    /// `HEAD` follows the router's effects rule inside a group, and is authenticated like `GET`.
    @Test func headInAGroupRunsOnlyReadOnlyGetsAndIsAuthenticated() throws {
        let router = Self.router(calls: Calls())
        #expect(try run(router, "HEAD", "/admin/users/7", user: "ann").status == 200)
        guard case .methodNotAllowed(let allowed) = router.match(method: "HEAD", path: "/admin") else {
            Issue.record("HEAD on a POST-only group route should be 405")
            return
        }
        #expect(allowed == ["POST"])
    }

    @Test func theTableNamesEachRoutesAuthentication() {
        let table = Self.router(calls: Calls()).table
        #expect(
            table.map(\.description) == [
                "GET /health read-only public",
                "GET /admin/users/{id} read-only test-user",
                "DELETE /admin/users/{id} side-effects test-user",
                "POST /admin side-effects test-user",
                "POST /auth/token side-effects public",
            ])
        #expect(table.map { RouteDescription($0.description) } == table)
    }

    @Test(arguments: [
        "", "GET /health read-only", "GET health read-only public", "GET /x sometimes public", " /x read-only public",
        "GET /x read-only public extra",
    ])
    func malformedTableLinesAreRefused(line: String) {
        #expect(RouteDescription(line) == nil)
    }

    /// Which patterns could answer a path under `/admin/{tenant}`.
    @Test func overlapIsDecidedSegmentBySegment() {
        let prefix = Router.segments(of: "/admin/{tenant}")
        let overlapping = ["/admin/x", "/admin/x/users", "/{any}/x", "/{a}/{b}/{c}", "/admin/{id}"]
        let apart = ["/admin", "/administration/x", "/health", "/", "/{any}", "/x/admin/y"]
        for pattern in overlapping { #expect(Router.overlaps(Router.segments(of: pattern), prefix), "\(pattern)") }
        for pattern in apart { #expect(!Router.overlaps(Router.segments(of: pattern), prefix), "\(pattern)") }
    }

    @Test func routesBesideAGroupAreFine() {
        var router = Router()
        router.group("/admin", scheme: "test-user", authenticate: Self.user) { admin in
            admin.get("/users", effects: .readOnly) { _, _ in HTTPResponse(status: 200) }
        }
        router.get("/administration", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        router.get("/users/{id}", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        // A second group of the same scheme may add to the prefix.
        router.group("/admin", scheme: "test-user", authenticate: Self.user) { admin in
            admin.delete("/users/{id}") { _, _ in HTTPResponse(status: 204) }
        }
        #expect(router.table.map(\.authentication) == ["test-user", nil, nil, "test-user"])
    }

    // MARK: - Registration refuses unauthenticated routes under a group's prefix (the process stops)

    @Test func aPlainRouteUnderAGroupsPrefixStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.group("/admin", scheme: "test-user", authenticate: RouteGroupTests.user) { _ in }
            router.get("/admin/users", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        }
    }

    @Test func aPlainRouteRegisteredBeforeTheGroupStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.delete("/admin/users/{id}") { _ in HTTPResponse(status: 204) }
            router.group("/admin", scheme: "test-user", authenticate: RouteGroupTests.user) { _ in }
        }
    }

    /// `/{any}/users` would answer `/admin/users` without asking who calls.
    @Test func aPlainParameterRouteThatCouldMatchThePrefixStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.group("/admin", scheme: "test-user", authenticate: RouteGroupTests.user) { _ in }
            router.post("/{any}/users") { _ in HTTPResponse(status: 201) }
        }
    }

    @Test func aRouteOfAnotherSchemeUnderTheGroupsPrefixStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.group("/admin", scheme: "test-user", authenticate: RouteGroupTests.user) { _ in }
            router.group("/admin/browser", scheme: "cookie", authenticate: RouteGroupTests.user) { routes in
                routes.get("", effects: .readOnly) { _, _ in HTTPResponse(status: 200) }
            }
        }
    }

    /// A literal spelled with `%` would be compared with the still-encoded request path: `/%61dmin`
    /// is `/admin` to nginx but would pass the prefix check as another word.
    @Test func aPercentEncodedLiteralStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.group("/admin", scheme: "test-user", authenticate: RouteGroupTests.user) { _ in }
            router.get("/%61dmin/export", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        }
    }

    @Test func aDotSegmentLiteralStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.get("/public/../admin", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        }
    }
}
