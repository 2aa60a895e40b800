/// Matches a method and a path to a handler.
///
/// Patterns are literal segments and `{name}` parameters: `/admin/users/{hh_user_id}`. The request
/// path is split on `/` before percent-decoding. A segment that is, or decodes to, `.` or `..` or
/// holds an encoded `/` matches no route at all: nginx decodes and resolves such segments before it
/// picks a location, so `/admin/sessions/%2e%2e%2f%2e%2e%2fx` is `/x` to nginx (outside the
/// `/admin` location and its allow-list) and must not be an admin route here either.
///
/// `HEAD` runs a `GET` handler only when the route was registered as ``Effects/readOnly``: every
/// `GET` route states its effects when it is added, so a route that writes (an OAuth state, a
/// consumed one-time value, a call to HH) cannot be reached by `HEAD` through an oversight.
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
        let handler: Handler

        func answers(_ method: String) -> Bool {
            self.method == method || (method == "HEAD" && self.method == "GET" && effects == .readOnly)
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

    /// Every route in the order added (tests walk it to check each route's `HEAD` behaviour).
    private(set) var routes: [Route] = []

    public init() {}

    /// A route for `method` and `pattern`; the first route added wins when several match.
    public mutating func add(_ method: String, _ pattern: String, effects: Effects, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { part -> Segment in
            part.hasPrefix("{") && part.hasSuffix("}")
                ? .parameter(String(part.dropFirst().dropLast())) : .literal(part)
        }
        routes.append(Route(method: method, pattern: pattern, segments: segments, effects: effects, handler: handler))
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
    public func match(method: String, path: String) -> Match {
        let parts = Self.split(path)
        guard parts.allSatisfy(Self.meansTheSameToNginx) else { return .notFound }
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            if route.answers(method) {
                return .found(pattern: route.pattern, parameters: parameters, handler: route.handler)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
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

    private static func bind(_ segments: [Segment], to parts: [String]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text):
                guard text == part else { return nil }
            case .parameter(let name):
                let value = QueryParameters.decode(part, plusIsSpace: false)
                guard !value.isEmpty else { return nil }
                parameters[name] = value
            }
        }
        return parameters
    }
}
