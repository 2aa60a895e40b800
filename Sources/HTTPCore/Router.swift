/// Matches a method and a path to a handler.
///
/// Patterns are literal segments and `{name}` parameters: `/admin/users/{hh_user_id}`. The request
/// path is split on `/` before percent-decoding; then each segment is decoded, and literals and
/// parameters alike see the decoded text, as nginx does when it picks a location:
/// `/admin/users/%61llow` is `/admin/users/allow` (not a user called `allow`), `/%61dmin/users`
/// is an admin route (nginx's `/admin` location and its allow-list applied to it). A segment that
/// is, or decodes to, `.` or `..` or holds an encoded `/` matches no route at all: nginx resolves
/// such segments before it picks a location, so `/admin/sessions/%2e%2e%2f%2e%2e%2fx` is `/x` to
/// nginx (outside the `/admin` location and its allow-list) and must not be an admin route here
/// either.
///
/// `HEAD` runs a `GET` handler only when the route was registered as ``Effects/readOnly``: every
/// `GET` route states its effects when it is added, so a route that writes (an OAuth state, a
/// consumed one-time value, a call to HH) cannot be reached by `HEAD` through an oversight.
///
/// Routes that need a caller's identity are registered in a ``group(_:scheme:authenticate:_:)``:
/// their handlers receive the identity, which only the group's authentication produces. The
/// router remembers the group's prefix and refuses, at registration, any route that could answer
/// a path under it without that authentication (a plain `/admin/x`, or `/{any}/x`): an admin route
/// cannot be registered unauthenticated, even by mistake.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    /// What running a route's handler changes; decides whether `HEAD` may run it.
    public enum Effects: Sendable, Equatable {
        /// Reads only: `HEAD` runs the `GET` handler and the body is dropped.
        case readOnly
        /// Writes rows, consumes one-time values or calls HH: `HEAD` gets 405.
        case sideEffects
    }

    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let effects: Effects
        /// The scheme of the group that registered it; nil for a plain route.
        let authentication: String?
        let handler: Handler
        /// How specific the pattern is among patterns of its length: a bit per segment, the first
        /// segment the highest, set for a literal. Of two patterns matching one path, the one with
        /// the literal where they first differ has the greater value. Patterns have at most 64
        /// segments (checked at registration). Computed once here, not per request.
        let specificity: UInt64

        init(
            method: String, pattern: String, segments: [Segment], effects: Effects, authentication: String?,
            handler: @escaping Handler
        ) {
            self.method = method
            self.pattern = pattern
            self.segments = segments
            self.effects = effects
            self.authentication = authentication
            self.handler = handler
            var rank: UInt64 = 0
            for segment in segments {
                rank <<= 1
                if case .literal = segment { rank |= 1 }
            }
            self.specificity = rank
        }

        func answers(_ method: String) -> Bool {
            self.method == method || (method == "HEAD" && self.method == "GET" && effects == .readOnly)
        }

        /// The ``specificity`` of a pattern of `count` literals.
        static func allLiterals(_ count: Int) -> UInt64 {
            count >= 64 ? .max : (1 << UInt64(count)) - 1
        }
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    /// The result of looking a request up.
    public enum Match {
        case found(pattern: String, parameters: [String: String], handler: Handler)
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// A path prefix whose routes all run behind one authentication scheme.
    struct ProtectedPrefix: Sendable {
        let prefix: String
        let segments: [Segment]
        let scheme: String
    }

    /// Every route in the order added.
    private(set) var routes: [Route] = []
    private(set) var protectedPrefixes: [ProtectedPrefix] = []

    public init() {}

    /// Every route in the order added, as data: what `hh-auth routes` prints and what tests and the
    /// router fuzzer walk, so none of them keeps a copy of its own.
    public var table: [RouteDescription] {
        routes.map {
            RouteDescription(
                method: $0.method, pattern: $0.pattern, effects: $0.effects, authentication: $0.authentication)
        }
    }

    /// A plain route for `method` and `pattern`, which any caller reaches; the first route added wins
    /// when several match. A pattern that could match a path under a group's prefix is a programming
    /// error and stops the process (see the type's comment).
    public mutating func add(_ method: String, _ pattern: String, effects: Effects, _ handler: @escaping Handler) {
        insert(
            Route(
                method: method, pattern: pattern, segments: Self.segments(of: pattern), effects: effects,
                authentication: nil, handler: handler))
    }

    /// Routes under `prefix` whose handlers run only after `authenticate` returned the caller's
    /// identity; it throws (a 401, a 429) to refuse the request before the handler runs. `scheme`
    /// names the authentication in ``table``. Any route, added before or after, that could answer a
    /// path under `prefix` must come from a group of the same scheme: another stops the process.
    ///
    /// ```swift
    /// router.group("/admin", scheme: "basic-admin", authenticate: admin) { routes in
    ///     routes.get("/users", effects: .readOnly) { request, admin in ... }
    /// }
    /// ```
    public mutating func group<Identity>(
        _ prefix: String, scheme: String, authenticate: @escaping @Sendable (HTTPRequest) throws -> Identity,
        _ register: (inout AuthenticatedRoutes<Identity>) -> Void
    ) {
        registrationCheck(
            !scheme.isEmpty && scheme != RouteDescription.publicScheme
                && !scheme.utf8.contains(where: { $0 <= UInt8(ascii: " ") }),
            "the scheme of a route group is one word other than '\(RouteDescription.publicScheme)': '\(scheme)'")
        registrationCheck(
            prefix.hasPrefix("/") && !prefix.hasSuffix("/"), "a route group's prefix is a path like /admin: '\(prefix)'"
        )
        let protected = ProtectedPrefix(prefix: prefix, segments: Self.segments(of: prefix), scheme: scheme)
        for route in routes where Self.overlaps(route.segments, protected.segments) {
            Self.requireScheme(of: route, scheme, prefix: prefix)
        }
        protectedPrefixes.append(protected)
        var group = AuthenticatedRoutes(prefix: prefix, scheme: scheme, authenticate: authenticate)
        register(&group)
        for route in group.routes { insert(route) }
    }

    /// Adds `route` after checking it against every protected prefix.
    private mutating func insert(_ route: Route) {
        for protected in protectedPrefixes where Self.overlaps(route.segments, protected.segments) {
            Self.requireScheme(of: route, protected.scheme, prefix: protected.prefix)
        }
        routes.append(route)
    }

    private static func requireScheme(of route: Route, _ scheme: String, prefix: String) {
        registrationCheck(
            route.authentication == scheme,
            "\(route.method) \(route.pattern) could answer paths under \(prefix), which only routes authenticated "
                + "by '\(scheme)' may: register it in that route group (it has \(route.authentication ?? "none"))")
    }

    /// Whether some path under `prefix` (the prefix itself included) could match `segments`: each of
    /// the prefix's segments meets the same literal or a parameter on one side.
    static func overlaps(_ segments: [Segment], _ prefix: [Segment]) -> Bool {
        guard segments.count >= prefix.count else { return false }
        for (segment, protected) in zip(segments, prefix) {
            if case .literal(let text) = segment, case .literal(let protectedText) = protected, text != protectedText {
                return false
            }
        }
        return true
    }

    static func segments(of pattern: String) -> [Segment] {
        let parts = split(pattern)
        registrationCheck(parts.count <= 64, "route pattern \(pattern): at most 64 segments (Route.specificity)")
        return parts.map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            // A literal is compared with the request's decoded segment: one spelled with `%` would
            // never match, and would escape the prefix check above (`/%61dmin` is `/admin`).
            registrationCheck(
                !part.utf8.contains(UInt8(ascii: "%")) && meansTheSameToNginx(part),
                "route pattern \(pattern): a literal segment must be spelled as nginx sees it (no %, ., .. or #)")
            return .literal(part)
        }
    }

    /// A `GET` route; `effects` says whether `HEAD` may run it too.
    public mutating func get(_ pattern: String, effects: Effects, _ handler: @escaping Handler) {
        add("GET", pattern, effects: effects, handler)
    }
    /// A `POST` route; it always has effects.
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) {
        add("POST", pattern, effects: .sideEffects, handler)
    }
    /// A `DELETE` route; it always has effects.
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) {
        add("DELETE", pattern, effects: .sideEffects, handler)
    }

    /// The route for `method` and `path` (as sent, still percent-encoded, without the query).
    ///
    /// A literal segment beats a parameter, whatever the order of registration: when patterns of
    /// several specificities match the path (`/admin/users/allow` and `/admin/users/{hh_user_id}`),
    /// only the most specific ones (compared segment by segment from the left) answer it, and the
    /// `Allow` of a 405 names only their methods. So `DELETE /admin/users/allow` is a 405 with
    /// `Allow: POST`, not a removal of a user called `allow`.
    public func match(method: String, path: String) -> Match {
        let raw = Self.split(path)
        guard raw.allSatisfy(Self.meansTheSameToNginx) else { return .notFound }
        // Most paths hold no `%`: their segments are used as they are, without a second array
        // (~1,000 instructions a request on /health, bench/instructions/run.sh).
        let parts =
            path.utf8.contains(UInt8(ascii: "%"))
            ? raw.map { $0.utf8.contains(UInt8(ascii: "%")) ? QueryParameters.decode($0, plusIsSpace: false) : $0 }
            : raw
        var allowed: [String] = []
        var best: (route: Route, parameters: [String: String])?
        var bestRank: UInt64?
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            let rank = route.specificity
            if let bestRank, rank < bestRank { continue }
            if let bestRank, rank > bestRank {
                allowed.removeAll()
                best = nil
            }
            bestRank = rank
            if route.answers(method) {
                // A pattern of literals only cannot be beaten: the common case stops here.
                if rank == Route.allLiterals(parts.count) {
                    return .found(pattern: route.pattern, parameters: parameters, handler: route.handler)
                }
                if best == nil { best = (route, parameters) }
            } else if !allowed.contains(route.method) {
                allowed.append(route.method)
            }
        }
        if let best {
            return .found(pattern: best.route.pattern, parameters: best.parameters, handler: best.route.handler)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Splits at `/` bytes: compared as `Character`s, a `/` followed by a combining mark would fuse
    /// with it and stay inside a parameter.
    private static func split(_ path: String) -> [String] {
        var parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if parts.first == "" { parts.removeFirst() }
        // No trailing-slash leniency: nginx guards paths such as `/metrics` by their exact spelling,
        // and `/metrics/` must not reach the route that nginx keeps for loopback.
        return parts
    }

    /// False for a segment nginx would resolve as a path step (see the type's comment).
    static func meansTheSameToNginx(_ segment: String) -> Bool {
        if segment == "." || segment == ".." { return false }
        // nginx ends the path at a raw `#` (a fragment), so it would see a different path.
        if segment.utf8.contains(UInt8(ascii: "#")) { return false }
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return true }
        let decoded = QueryParameters.decode(segment, plusIsSpace: false)
        return decoded != "." && decoded != ".." && !decoded.utf8.contains(UInt8(ascii: "/"))
    }

    /// `parts`: the request's segments, decoded.
    private static func bind(_ segments: [Segment], to parts: [String]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text):
                guard text == part else { return nil }
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                parameters[name] = part
            }
        }
        return parameters
    }
}
