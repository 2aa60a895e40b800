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

    private static let noStore = HTTPHeader("Cache-Control", "no-store")

    func register(in router: inout Router) {
        let authentication = self.authentication
        let passAccessToken = self.passAccessToken
        // Only nginx's verify location sets the original request's parameters: called any other
        // way (`location /` passes everything on) the route does not exist, so a page's script
        // cannot read the identity headers, or the access token, through it; refused before any
        // session lookup, since these routes are not rate-limited.
        let fromNginx: @Sendable (HTTPRequest) throws -> SessionCaller = { request in
            guard request.originalURI != nil, request.originalMethod != nil else {
                throw SessionAccessError.notCalledByNginx
            }
            // With the token to pass, the identity's statement reads it too: one lookup, not two.
            return try authentication.authenticate(request, withToken: passAccessToken)
        }
        router.group("/auth/verify", scheme: SessionCallerAuthentication.scheme, authenticate: fromNginx) { routes in
            // Side effects: the idle timeout's bookkeeping, and with VERIFY_PASS_ACCESS_TOKEN a
            // refresh at HH. nginx's auth_request always sends GET, so HEAD loses nothing.
            routes.get("", effects: .sideEffects) { request, caller in try allow(request, caller, group: nil) }
            routes.get("/{group}", effects: .sideEffects) { request, caller in
                try allow(request, caller, group: request.pathParameters["group"])
            }
        }
    }

    func allow(_ request: HTTPRequest, _ caller: SessionCaller, group: String?) throws -> HTTPResponse {
        let identity = caller.identity
        if let group, !identity.isMember(of: group) { throw SessionAccessError.notInGroup }
        var headers = [
            Self.noStore,
            HTTPHeader("X-Auth-Request-User", identity.hhUserID),
            HTTPHeader("X-Auth-Request-Email", Self.headerSafe(identity.email ?? "")),
            HTTPHeader("X-Auth-Request-Name", Self.headerSafe(identity.fullName ?? "")),
            HTTPHeader("X-Auth-Request-Groups", identity.groups.joined(separator: ",")),
            // For nginx alone (hh-auth-identity.conf): the app must not get `Authorization` when it
            // carried our session, and does get its own.
            HTTPHeader("X-Auth-Request-Via", caller.viaCookie ? "cookie" : "bearer"),
        ]
        if passAccessToken {
            // Through the broker: one refresh per expiry however many requests ask at once.
            let grant: AccessGrant
            do {
                grant = try service.tokenForVerify(identity, sessionID: caller.sessionID, from: request.origin)
            } catch is SessionError {
                // HH revoked the grant, or the session ended meanwhile: signed out, so the browser
                // is sent to sign in like any other caller without a session.
                throw authentication.unauthenticated(request)
            }
            headers.append(HTTPHeader("X-Auth-Request-Access-Token", grant.accessToken))
        }
        return HTTPResponse(status: 200, headers: headers)
    }

    /// A name or address as HH gave it, fit for a header line: UTF-8 kept (nginx passes it on as
    /// it is); control characters (CR, LF among them), format characters (bidi overrides,
    /// zero-width) and line/paragraph separators dropped, so an app showing it cannot be made to
    /// show something else; at most 256 bytes.
    static func headerSafe(_ text: String) -> String {
        if isPlainASCIIOrCyrillic(text) { return text }
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
                continue
            default:
                bytes += scalar.utf8.count
                guard bytes <= 256 else { return String(kept) }
                kept.append(scalar)
            }
        }
        return String(kept)
    }

    /// The names HH gives are printable ASCII and Cyrillic (U+0400–U+04FF, lead bytes D0/D1),
    /// none of which the scalar walk above drops: such a value within 256 bytes passes as it is.
    /// The walk cost ~42,000 instructions per verify for a Cyrillic name and email, a quarter of
    /// the route (callgrind, bench/instructions/run.sh demo-cookie: 165k per request before).
    static func isPlainASCIIOrCyrillic(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count <= 256 else { return false }
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= 0x20 && byte < 0x7F {
                    index += 1
                } else if byte == 0xD0 || byte == 0xD1, index + 1 < bytes.count, bytes[index + 1] & 0xC0 == 0x80 {
                    index += 2
                } else {
                    return false
                }
            }
            return true
        }
    }
}
