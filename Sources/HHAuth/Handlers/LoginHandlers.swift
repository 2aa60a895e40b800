import HTTPCore

/// The browser flow: `/auth/login` sends the user to HH, `/auth/callback` brings them back.
struct LoginHandlers: Sendable {
    let flow: LoginFlow
    /// Checks `rd`, a browser sign-in's page to come back to.
    let returnTargets: ReturnTargetPolicy
    let sessionCookie: SessionCookie

    func register(in router: inout Router) {
        // Issuing a state writes nothing (see ``LoginStateStore``), so HEAD may run it like GET
        // (it sets the pre-auth cookie, which is the browser's, not ours).
        router.get("/auth/login", effects: .readOnly) { request in try login(request) }
        router.get("/auth/callback", effects: .sideEffects) { request in try callback(request) }
    }

    func login(_ request: HTTPRequest) throws -> HTTPResponse {
        let redirectURI = request.query["redirect_uri"]
        var returnTo: String?
        if let rd = request.query["rd"] {
            // Two different answers to where the sign-in ends: a client program's code, or a browser session.
            do {
                guard redirectURI == nil else { throw LoginError.returnTargetWithRedirect }
                returnTo = Self.bounded(try returnTargets.location(for: rd), site: returnTargets.site)
            } catch {
                throw PageError(error)
            }
        }
        let start = try flow.authorizeURL(redirectURI: redirectURI, returnTo: returnTo)
        var response = HTTPResponse.redirect(to: start.authorizeURL)
        let cookie = LoginCookie(flowID: start.binding.flowID, isHTTPS: request.isHTTPS)
        response.headers.append(
            cookie.setting(start.binding.cookieValue, maxAgeSeconds: start.cookieMaxAgeSeconds).header)
        return response
    }

    func callback(_ request: HTTPRequest) throws -> HTTPResponse {
        let cookie = LoginCookie(callback: request)
        let cookieValue = cookie?.value(in: request)
        // The browser's cookie goes with the answer that ends its flow; there is none to delete
        // when it sent none.
        let deletion = cookieValue == nil ? [] : cookie.map { [$0.deletion.header] } ?? []
        let signedIn: LoginFlow.SignedIn
        do {
            signedIn = try flow.complete(
                LoginFlow.Callback(
                    state: request.query["state"], code: request.query["code"], error: request.query["error"],
                    loginCookie: cookieValue),
                from: request.origin)
        } catch {
            // Application maps and logs it, then answers a page to browsers.
            throw PageError(error.underlying, headers: Self.keepsCookie(error) ? [] : deletion)
        }
        var response: HTTPResponse
        switch signedIn.credential {
        case .browserSession(let created):
            // Checked again: the allow-list may have changed since /auth/login; the session stands.
            let target = signedIn.returnTo.flatMap { try? returnTargets.location(for: $0) } ?? "/"
            response = .redirect(to: target)
            response.headers.append(sessionCookie.setting(created.sessionID, for: request))
            // The pre-auth cookies of sign-ins this browser abandoned go too.
            for abandoned in LoginCookie.all(in: request) where abandoned != cookie {
                response.headers.append(abandoned.deletion.header)
            }
        case .exchangeCode(let code):
            if let clientRedirect = signedIn.redirectURI {
                let separator = clientRedirect.contains("?") ? "&" : "?"
                response = .redirect(to: clientRedirect + separator + "exchange_code=" + QueryParameters.encode(code))
            } else {
                response = .html(Pages.success(exchangeCode: code, name: signedIn.fullName))
            }
        }
        response.headers += deletion
        return response
    }

    /// The return target as the pre-auth cookie carries it: at most ``maximumReturnToLength``
    /// bytes (the query goes first, then the path), so a few abandoned sign-ins to long URLs
    /// cannot push the browser's `Cookie` header past nginx's buffers for the state's lifetime.
    static func bounded(_ location: String, site: SiteOrigin) -> String {
        guard location.utf8.count > maximumReturnToLength else { return location }
        let bytes = location.utf8
        if let mark = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }),
            bytes.distance(from: bytes.startIndex, to: mark) <= maximumReturnToLength
        {
            return String(decoding: bytes[..<mark], as: UTF8.self)
        }
        return site.description + "/"
    }

    static let maximumReturnToLength = 1024

    /// Whether a failed callback leaves the browser its pre-auth cookie: only when its answer asks
    /// for the same callback again (429 or 503, with `Retry-After`) and the state is still unused
    /// (the flow says which), so that retry can sign in. Every other failure ends the flow: a
    /// retry after the state was spent could only be refused.
    private static func keepsCookie(_ failure: CallbackFailure) -> Bool {
        guard !failure.stateSpent else { return false }
        return ErrorMapping.httpError(for: failure.underlying)?.headers.contains { $0.name == "Retry-After" } ?? false
    }
}
