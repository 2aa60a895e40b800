import HTTPCore

/// The router's path matching and the percent-decoding of segments, checked against a byte-level
/// model over the production route table: a path is split at `/` bytes before decoding, so no
/// decoded `/` can move a request to another route; each segment is then decoded and compared, for
/// literals and `{name}` parameters alike, as nginx compares locations (`/admin/users/%61llow` is
/// the `allow` route); and a path with a segment nginx would resolve as a step (`.`, `..`, or one
/// of them or a `/` percent-encoded) matches nothing. The model
/// applies the methods, 405 and `HEAD` rules to each route's declared effects, and an authenticated
/// route's handler must have run with the identity its group's authentication gave it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRouter(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    // The first byte picks the method; the rest is the path (REQUEST_URI before `?`).
    let methods = ["GET", "POST", "DELETE", "HEAD", "PUT", "OPTIONS", "get", ""]
    let method = methods[Int(bytes.first ?? 0) % methods.count]
    let path = String(decoding: bytes.dropFirst(), as: UTF8.self)

    let expected = referenceMatch(method: method, path: Array(path.utf8))
    switch (routes.match(method: method, path: path), expected) {
    case (.found(let pattern, let parameters, let handler), .found(let expectedPattern, let expectedParameters)):
        invariant(pattern == expectedPattern, "\(pattern) matched, the model says \(expectedPattern)")
        invariant(parameters.count == expectedParameters.count, "parameters \(parameters) != \(expectedParameters)")
        for (name, value) in expectedParameters {
            invariant(
                parameters[name].map { sameBytes($0, value) } == true,
                "\(name) = \(parameters[name].debugDescription), expected \(value.debugDescription)")
        }
        let answered = try? handler(HTTPRequest(method: method, path: path))
        let route = table.first { $0.pattern == pattern && $0.method == (method == "HEAD" ? "GET" : method) }
        invariant(
            answered.map { String(decoding: $0.body, as: UTF8.self) == route.map(answer) } == true,
            "the handler of another route ran, or without its group's identity")
    case (.methodNotAllowed(let allowed), .methodNotAllowed(let expectedAllowed)):
        invariant(allowed == expectedAllowed, "Allow \(allowed), the model says \(expectedAllowed)")
        invariant(!allowed.contains(method), "405 lists the request's own method")
    case (.notFound, .notFound):
        break
    case (let actual, let model):
        invariant(false, "router: \(describe(actual)); model: \(model) for \(path.debugDescription)")
    }
    return 0
}

/// The production route table: scripts/fuzz.sh writes `productionRouteLines` (generated, in
/// .build-fuzz/generated/) from what `hh-auth routes` prints, so the fuzzer checks the real table.
private let table: [RouteDescription] = productionRouteLines.map { line in
    guard let route = RouteDescription(line) else { fatalError("not a line of hh-auth routes: \(line)") }
    return route
}

/// What a route's handler answers here: its pattern, and the identity its group passed it.
private func answer(_ route: RouteDescription) -> String {
    route.pattern + (route.authentication.map { " as " + $0 } ?? "")
}

/// Registered like the gateway's: public routes plain, an authenticated route through a group of
/// its scheme (here each its own group, whose prefix is the whole pattern) whose authentication
/// returns the scheme's name as the identity.
private let routes: Router = {
    var router = Router()
    for route in table {
        let text = answer(route)
        guard let scheme = route.authentication else {
            router.add(route.method, route.pattern, effects: route.effects) { _ in HTTPResponse(body: Array(text.utf8))
            }
            continue
        }
        router.group(route.pattern, scheme: scheme, authenticate: { _ in scheme }) { group in
            group.add(route.method, "", effects: route.effects) { _, identity in
                HTTPResponse(body: Array((route.pattern + " as " + identity).utf8))
            }
        }
    }
    invariant(router.table == table, "the router's table is not what hh-auth routes printed")
    return router
}()

private enum ModelMatch: CustomStringConvertible {
    case found(pattern: String, parameters: [String: String])
    case methodNotAllowed(allowed: [String])
    case notFound

    var description: String {
        switch self {
        case .found(let pattern, let parameters): "found \(pattern) \(parameters)"
        case .methodNotAllowed(let allowed): "405 \(allowed)"
        case .notFound: "404"
        }
    }
}

private func describe(_ match: Router.Match) -> String {
    switch match {
    case .found(let pattern, let parameters, _): "found \(pattern) \(parameters)"
    case .methodNotAllowed(let allowed): "405 \(allowed)"
    case .notFound: "404"
    }
}

/// No trailing-slash leniency: `/metrics/` is not `/metrics` (nginx guards the exact spelling).
private func segments(_ bytes: [UInt8]) -> [[UInt8]] {
    var parts = splitBytes(bytes, on: UInt8(ascii: "/"))
    if parts.first == [] { parts.removeFirst() }
    return parts
}

private func referenceMatch(method: String, path: [UInt8]) -> ModelMatch {
    let parts = segments(path)
    for part in parts {
        let decoded = referencePercentDecode(part, plusIsSpace: false)
        if decoded == "." || decoded == ".." || decoded.utf8.contains(UInt8(ascii: "/")) { return .notFound }
        if part.contains(UInt8(ascii: "#")) { return .notFound }
    }
    var allowed: [String] = []
    for route in table {
        let (routeMethod, pattern) = (route.method, route.pattern)
        let patternParts = segments(Array(pattern.utf8))
        guard patternParts.count == parts.count else { continue }
        var parameters: [String: String] = [:]
        var matches = true
        for (patternPart, part) in zip(patternParts, parts) {
            if patternPart.first == UInt8(ascii: "{") {
                let value = referencePercentDecode(part, plusIsSpace: false)
                if value.isEmpty { matches = false; break }
                parameters[String(decoding: patternPart.dropFirst().dropLast(), as: UTF8.self)] = value
            } else if Array(referencePercentDecode(part, plusIsSpace: false).utf8) != patternPart {
                matches = false
                break
            }
        }
        guard matches else { continue }
        let headRunsIt = method == "HEAD" && routeMethod == "GET" && route.effects == .readOnly
        if routeMethod == method || headRunsIt {
            return .found(pattern: pattern, parameters: parameters)
        }
        if !allowed.contains(routeMethod) { allowed.append(routeMethod) }
    }
    return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
}
