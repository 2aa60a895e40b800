import HTTPCore

/// `/auth/verify` and `/auth/verify/{group}`: nginx's `auth_request` asks them whether a request
/// may pass (see nginx/hh-auth-verify.conf).
///
/// nginx takes only 2xx, 401 and 403 from here (anything else becomes its 500), so these routes are
/// exempt from the service's rate limit and answer: 200 with the identity headers; 401 when there
/// is no live session (with a `Location` to sign in for a browser's navigation, see
/// ``SignInLocation``); 403 when the user is signed in but not in the location's group (never 401:
/// signing in again would change nothing, and a redirect would loop).
struct VerifyHandlers: Sendable {
    let authentication: SessionCallerAuthentication
    let service: SessionService
    /// `VERIFY_PASS_ACCESS_TOKEN`.
    let passAccessToken: Bool

    static let notInGroup = HTTPError(403, "Not allowed for this location", headers: [noStore])
    private static let noStore = HTTPHeader("Cache-Control", "no-store")

    func register(in router: inout Router) {
        router.group(
            "/auth/verify", scheme: SessionCallerAuthentication.scheme, authenticate: authentication.authenticate
        ) { routes in
            routes.get("", effects: .readOnly) { request, caller in try allow(request, caller, group: nil) }
            routes.get("/{group}", effects: .readOnly) { request, caller in
                try allow(request, caller, group: request.pathParameters["group"])
            }
        }
    }

    func allow(_ request: HTTPRequest, _ caller: SessionCaller, group: String?) throws -> HTTPResponse {
        let identity = caller.identity
        if let group, !identity.isMember(of: group) { throw Self.notInGroup }
        var headers = [
            Self.noStore,
            HTTPHeader("X-Auth-Request-User", identity.hhUserID),
            HTTPHeader("X-Auth-Request-Email", Self.headerSafe(identity.email ?? "")),
            HTTPHeader("X-Auth-Request-Name", Self.headerSafe(identity.fullName ?? "")),
            HTTPHeader("X-Auth-Request-Groups", identity.groups.joined(separator: ",")),
        ]
        if passAccessToken {
            // Through the broker: one refresh per expiry however many requests ask at once.
            let grant = try service.token(sessionID: caller.sessionID, refresh: false, from: request.origin)
            headers.append(HTTPHeader("X-Auth-Request-Access-Token", grant.accessToken))
        }
        return HTTPResponse(status: 200, headers: headers)
    }

    /// A name or address as HH gave it, fit for a header line: UTF-8 kept (nginx passes it on as
    /// it is), control characters (CR, LF among them) dropped, at most 256 bytes.
    static func headerSafe(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars where scalar.value >= 0x20 && scalar.value != 0x7F {
            guard !(0x80...0x9F).contains(scalar.value) else { continue }
            bytes += String(scalar).utf8.count
            guard bytes <= 256 else { break }
            kept.append(scalar)
        }
        return String(kept)
    }
}
