import HTTPCore

extension StandInResponder {
    /// `GET /oauth/authorize`: the user "approves" at once and the browser goes back to the app.
    ///
    /// Test switches in the query: `as_user=<id>` signs in as that user instead of the default one,
    /// `deny=1` makes the user refuse (`error=access_denied`).
    func authorize(_ request: HTTPRequest) -> HTTPResponse {
        let query = request.query
        let now = clock.now()
        return state.withLock { state in
            state.stats.authorize += 1
            guard query["response_type"] == "code" else { return badArgument("response_type") }
            guard let clientID = query["client_id"], !clientID.isEmpty else { return badArgument("client_id") }
            if let expected = state.settings.clientID, expected != clientID { return badArgument("client_id") }
            guard let redirectURI = query["redirect_uri"], Self.isAbsoluteWebURL(redirectURI) else {
                return badArgument("redirect_uri")
            }
            let stateValue = query["state"]
            if query["deny"] == "1" {
                return redirect(to: redirectURI, adding: [("error", "access_denied"), ("state", stateValue)])
            }
            let userID = query["as_user"] ?? state.settings.defaultUserID
            guard UserProfile.isAcceptableID(userID) else { return badArgument("as_user") }
            _ = state.profile(for: userID)
            let code = state.issueCode(userID: userID, clientID: clientID, redirectURI: redirectURI, now: now)
            return redirect(to: redirectURI, adding: [("code", code), ("state", stateValue)])
        }
    }

    /// HH's answer to a malformed authorize request: 400 `bad_argument` naming the parameter.
    private func badArgument(_ name: String) -> HTTPResponse {
        ResponseBuilding.hhError(400, type: "bad_argument", value: name, description: "Bad argument: \(name)")
    }

    /// `redirect_uri` plus the parameters, joined with `&` when it already has a query; a `nil`
    /// value (no `state` was sent) leaves the parameter out, as HH does.
    private func redirect(to redirectURI: String, adding parameters: [(String, String?)]) -> HTTPResponse {
        let fragmentStart = redirectURI.firstIndex(of: "#") ?? redirectURI.endIndex
        let base = redirectURI[..<fragmentStart]
        let added = parameters.compactMap { name, value in value.map { "\(name)=\(QueryParameters.encode($0))" } }
        let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        return ResponseBuilding.redirect(to: base + separator + added.joined(separator: "&"))
    }

    private static func isAbsoluteWebURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        let hasScheme = lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
        return hasScheme && !text.contains { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }
    }
}
