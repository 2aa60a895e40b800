/// The routes of one ``Router/group(_:scheme:authenticate:_:)``: every handler receives the
/// identity the group's authentication returned, so none can run for a caller it refused, and none
/// has to remember to ask.
///
/// Paths are relative to the group's prefix (`"/users"` in the `/admin` group is `/admin/users`).
/// `HEAD` follows the router's rule: it runs a `GET` handler only when the route is
/// ``Router/Effects/readOnly``, and it is authenticated like the `GET`.
public struct AuthenticatedRoutes<Identity> {
    public typealias Handler = @Sendable (HTTPRequest, Identity) throws -> HTTPResponse

    let prefix: String
    let scheme: String
    let authenticate: @Sendable (HTTPRequest) throws -> Identity
    /// Collected here and added by the router once the group's registration returns.
    private(set) var routes: [Router.Route] = []

    init(prefix: String, scheme: String, authenticate: @escaping @Sendable (HTTPRequest) throws -> Identity) {
        self.prefix = prefix
        self.scheme = scheme
        self.authenticate = authenticate
    }

    /// A route for `method` and the group's prefix followed by `path` (empty for the prefix itself).
    public mutating func add(_ method: String, _ path: String, effects: Router.Effects, _ handler: @escaping Handler) {
        registrationCheck(path.isEmpty || path.hasPrefix("/"), "a path in a route group starts with /: '\(path)'")
        let pattern = prefix + path
        let authenticate = self.authenticate
        routes.append(
            Router.Route(
                method: method, pattern: pattern, segments: Router.segments(of: pattern), effects: effects,
                authentication: scheme,
                handler: { request in
                    let identity = try authenticate(request)
                    return try handler(request, identity)
                }))
    }

    /// A `GET` route; `effects` says whether `HEAD` may run it too.
    public mutating func get(_ path: String, effects: Router.Effects, _ handler: @escaping Handler) {
        add("GET", path, effects: effects, handler)
    }
    /// A `POST` route; it always has effects.
    public mutating func post(_ path: String, _ handler: @escaping Handler) {
        add("POST", path, effects: .sideEffects, handler)
    }
    /// A `DELETE` route; it always has effects.
    public mutating func delete(_ path: String, _ handler: @escaping Handler) {
        add("DELETE", path, effects: .sideEffects, handler)
    }
}
