import HTTPCore

/// The browser flow: `/auth/login` sends the user to HH, `/auth/callback` brings them back.
struct LoginHandlers: Sendable {
    let flow: LoginFlow

    func register(in router: inout Router) {
        // Issuing a state writes nothing (see ``LoginStateStore``), so HEAD may run it like GET.
        router.get("/auth/login", effects: .readOnly) { request in try login(request) }
        router.get("/auth/callback", effects: .sideEffects) { request in try callback(request) }
    }

    func login(_ request: HTTPRequest) throws -> HTTPResponse {
        .redirect(to: try flow.authorizeURL(redirectURI: request.query["redirect_uri"]))
    }

    func callback(_ request: HTTPRequest) throws -> HTTPResponse {
        let signedIn: LoginFlow.SignedIn
        do {
            signedIn = try flow.complete(
                LoginFlow.Callback(
                    state: request.query["state"], code: request.query["code"], error: request.query["error"]),
                from: request.origin)
        } catch {
            // Application maps and logs it, then answers a page to browsers.
            throw PageError(error)
        }
        if let clientRedirect = signedIn.redirectURI {
            let separator = clientRedirect.contains("?") ? "&" : "?"
            return .redirect(
                to: clientRedirect + separator + "exchange_code=" + QueryParameters.encode(signedIn.exchangeCode))
        }
        return .html(Pages.success(exchangeCode: signedIn.exchangeCode, name: signedIn.fullName))
    }
}
