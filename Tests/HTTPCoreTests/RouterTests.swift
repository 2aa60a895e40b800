import Testing

@testable import HTTPCore

@Suite("Router")
struct RouterTests {
    let router: Router = {
        var router = Router()
        router.get("/health", effects: .readOnly) { _ in HTTPResponse(status: 200, body: Array("health".utf8)) }
        router.get("/admin/users/{hh_user_id}", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        router.delete("/admin/users/{hh_user_id}") { _ in HTTPResponse(status: 204) }
        router.post("/auth/token") { _ in HTTPResponse(status: 201) }
        router.get("/auth/login", effects: .sideEffects) { _ in HTTPResponse(status: 302) }
        return router
    }()

    private func parameters(_ method: String, _ path: String) -> [String: String]? {
        guard case .found(_, let parameters, _) = router.match(method: method, path: path) else { return nil }
        return parameters
    }

    @Test func literalPathFindsItsHandler() throws {
        guard case .found(let pattern, let parameters, let handler) = router.match(method: "GET", path: "/health")
        else {
            Issue.record("GET /health did not match")
            return
        }
        #expect(pattern == "/health")
        #expect(parameters.isEmpty)
        let response = try handler(HTTPRequest(method: "GET", path: "/health"))
        #expect(String(decoding: response.body, as: UTF8.self) == "health")
    }

    @Test func parameterSegmentBindsItsValue() {
        guard case .found(let pattern, let parameters, _) = router.match(method: "GET", path: "/admin/users/42") else {
            Issue.record("GET /admin/users/42 did not match")
            return
        }
        #expect(pattern == "/admin/users/{hh_user_id}")
        #expect(parameters == ["hh_user_id": "42"])
    }

    @Test func parametersArePercentDecodedAfterSplitting() {
        #expect(parameters("GET", "/admin/users/%D0%98%D0%B2%D0%B0%D0%BD") == ["hh_user_id": "Иван"])
        // `+` is a plus in a path, not a space.
        #expect(parameters("GET", "/admin/users/a+b") == ["hh_user_id": "a+b"])
        #expect(parameters("GET", "/admin/users/%ZZ") == ["hh_user_id": "%ZZ"])
    }

    /// nginx decodes and resolves these before it picks a location (`%2e%2e%2f` is `../` to it), so
    /// the service must not route them to what their raw spelling looks like: the admin allow-list
    /// of `/admin` would not have applied.
    @Test(arguments: [
        "/admin/users/..", "/admin/users/.", "/admin/users/%2E%2E", "/admin/users/%2e", "/admin/users/a%2Fb",
        "/admin/users/%2e%2e%2f%2e%2e%2fhealth", "/admin/users/../health", "/admin/users/..#x",
    ])
    func segmentsNginxWouldResolveMatchNoRoute(path: String) {
        guard case .notFound = router.match(method: "GET", path: path) else {
            Issue.record("\(path) matched a route")
            return
        }
        guard case .notFound = router.match(method: "DELETE", path: path) else {
            Issue.record("DELETE \(path) matched a route")
            return
        }
    }

    @Test func dotsInsideAValueAreJustAValue() {
        #expect(parameters("GET", "/admin/users/a..b") == ["hh_user_id": "a..b"])
        #expect(parameters("GET", "/admin/users/%2E%2E%2E") == ["hh_user_id": "..."])
    }

    @Test(arguments: ["/nope", "/admin/users", "/admin/users/1/2", "/health/extra", "", "/admin/users/"])
    func unknownPathsAreNotFound(path: String) {
        guard case .notFound = router.match(method: "GET", path: path) else {
            Issue.record("\(path) should be 404")
            return
        }
    }

    @Test func knownPathWithWrongMethodListsAllowedMethods() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "POST", path: "/health") else {
            Issue.record("POST /health should be 405")
            return
        }
        #expect(allowed == ["GET"])
        guard case .methodNotAllowed(let both) = router.match(method: "PUT", path: "/admin/users/7") else {
            Issue.record("PUT /admin/users/7 should be 405")
            return
        }
        #expect(both == ["GET", "DELETE"])
        guard case .methodNotAllowed(let post) = router.match(method: "GET", path: "/auth/token") else {
            Issue.record("GET /auth/token should be 405")
            return
        }
        #expect(post == ["POST"])
    }

    /// schemathesis found `DELETE /admin/users/allow` answered by `DELETE /admin/users/{hh_user_id}`
    /// (a 422 for the id `allow`) and `Allow: POST, DELETE` on the path: the literal route wins,
    /// registered before or after the parameter.
    @Test(arguments: [false, true])
    func aLiteralSegmentBeatsAParameter(literalFirst: Bool) {
        var router = Router()
        let literal: (inout Router) -> Void = { $0.post("/admin/users/allow") { _ in HTTPResponse(status: 200) } }
        let parameter: (inout Router) -> Void = {
            $0.delete("/admin/users/{hh_user_id}") { _ in HTTPResponse(status: 204) }
            $0.get("/admin/{section}/allow", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        }
        if literalFirst {
            literal(&router)
            parameter(&router)
        } else {
            parameter(&router)
            literal(&router)
        }
        for method in ["DELETE", "GET", "OPTIONS"] {
            guard case .methodNotAllowed(let allowed) = router.match(method: method, path: "/admin/users/allow") else {
                Issue.record("\(method) /admin/users/allow should be 405")
                continue
            }
            #expect(allowed == ["POST"], "\(method)")
        }
        guard case .found(let pattern, _, _) = router.match(method: "POST", path: "/admin/users/allow") else {
            Issue.record("POST /admin/users/allow did not match")
            return
        }
        #expect(pattern == "/admin/users/allow")
        guard case .found(let removal, let parameters, _) = router.match(method: "DELETE", path: "/admin/users/42")
        else {
            Issue.record("DELETE /admin/users/42 did not match")
            return
        }
        #expect(removal == "/admin/users/{hh_user_id}" && parameters == ["hh_user_id": "42"])
        // A path that only a pattern with a parameter matches is that pattern's.
        guard case .found(let other, _, _) = router.match(method: "GET", path: "/admin/x/allow") else {
            Issue.record("GET /admin/x/allow did not match")
            return
        }
        #expect(other == "/admin/{section}/allow")
    }

    @Test func headIsServedByAReadOnlyGetHandler() {
        guard case .found(let pattern, _, _) = router.match(method: "HEAD", path: "/health") else {
            Issue.record("HEAD /health should match GET /health")
            return
        }
        #expect(pattern == "/health")
        guard case .methodNotAllowed = router.match(method: "HEAD", path: "/auth/token") else {
            Issue.record("HEAD on a POST-only route should be 405")
            return
        }
    }

    /// A GET that writes (issues a state, consumes one, calls HH) never runs for HEAD.
    @Test func headOnAGetWithSideEffectsIs405AllowingGet() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "HEAD", path: "/auth/login") else {
            Issue.record("HEAD /auth/login must not run the GET handler")
            return
        }
        #expect(allowed == ["GET"])
        guard case .found = router.match(method: "GET", path: "/auth/login") else {
            Issue.record("GET /auth/login should still match")
            return
        }
    }

    /// A trailing slash is another path: nginx restricts `/metrics` by its exact spelling, so
    /// `/metrics/` must not reach the metrics route from outside.
    @Test func trailingSlashIsAnotherPath() {
        guard case .notFound = router.match(method: "GET", path: "/health/") else {
            Issue.record("/health/ must not match /health")
            return
        }
        #expect(parameters("GET", "/admin/users/42/") == nil)
    }

    @Test func methodsAreCaseSensitive() {
        guard case .methodNotAllowed = router.match(method: "get", path: "/health") else {
            Issue.record("lowercase `get` is not GET")
            return
        }
    }

    /// nginx picks a location by the decoded path, and RFC 3986 counts `%61` and `a` as one
    /// character in a path: a literal spelled with escapes is that literal, never a parameter
    /// value (`/admin/users/%61llow` was the id `allow` of the parameter route, a 422).
    @Test func aLiteralSegmentSpelledWithEscapesIsThatLiteral() throws {
        var router = Router()
        router.post("/admin/users/allow") { _ in HTTPResponse(status: 201) }
        router.get("/admin/users/{hh_user_id}", effects: .readOnly) { _ in HTTPResponse(status: 200) }
        router.delete("/admin/users/{hh_user_id}") { _ in HTTPResponse(status: 204) }
        for path in ["/admin/users/%61llow", "/admin/users/%61%6C%6C%6F%77", "/%61dmin/%75sers/all%6Fw"] {
            guard case .found(let pattern, let parameters, _) = router.match(method: "POST", path: path) else {
                Issue.record("POST \(path) did not reach the allow route")
                continue
            }
            #expect(pattern == "/admin/users/allow" && parameters.isEmpty, "\(path)")
            // As for the plain spelling: the literal wins over the parameter route's methods.
            guard case .methodNotAllowed(let allowed) = router.match(method: "DELETE", path: path) else {
                Issue.record("DELETE \(path) is not 405")
                continue
            }
            #expect(allowed == ["POST"], "\(path)")
        }
        // What decodes to no literal is still a parameter value, decoded once.
        #expect(parameters("GET", "/admin/users/%31%32") == ["hh_user_id": "12"])
        guard case .found(_, let value, _) = router.match(method: "GET", path: "/admin/users/%2561llow") else {
            Issue.record("GET /admin/users/%2561llow did not match")
            return
        }
        #expect(value == ["hh_user_id": "%61llow"])
    }

    /// A group's prefix spelled with escapes is the prefix: its authentication runs.
    @Test func aGroupPrefixSpelledWithEscapesRunsTheGroupsAuthentication() throws {
        var router = Router()
        router.group("/admin", scheme: "test-admin", authenticate: { _ in throw HTTPError(401, "no") }) { routes in
            routes.get("/export", effects: .readOnly) { _, _ in HTTPResponse(status: 200) }
        }
        guard case .found(let pattern, _, let handler) = router.match(method: "GET", path: "/%61dmin/export") else {
            Issue.record("/%61dmin/export did not reach the admin route")
            return
        }
        #expect(pattern == "/admin/export")
        #expect(throws: HTTPError(401, "no")) { try handler(HTTPRequest(method: "GET", path: "/%61dmin/export")) }
    }
}
