import HTTPCore

extension StandInResponder {
    /// `POST /token`: the code grant and the refresh grant.
    func token(_ request: HTTPRequest) -> HTTPResponse {
        guard request.isFormEncoded else { return ResponseBuilding.tokenError(.notForm) }
        let form = request.form
        let outcome: Result<(TokenPair, Int), TokenEndpointError>
        switch form["grant_type"].flatMap(nonEmpty) {
        case nil:
            outcome = .failure(.missing("grant_type"))
        case "authorization_code":
            outcome = exchangeCode(form)
        case "refresh_token":
            outcome = refresh(form)
        default:
            outcome = .failure(.unsupportedGrantType)
        }
        switch outcome {
        case .success(let (pair, lifetime)):
            return ResponseBuilding.json(200, TokenResponse(pair, lifetimeSeconds: lifetime))
        case .failure(let error):
            return ResponseBuilding.tokenError(error)
        }
    }

    private func exchangeCode(_ form: QueryParameters) -> Result<(TokenPair, Int), TokenEndpointError> {
        var fields: [String: String] = [:]
        for name in ["client_id", "client_secret", "code", "redirect_uri"] {
            guard let value = form[name].flatMap(nonEmpty) else { return .failure(.missing(name)) }
            fields[name] = value
        }
        let clientID = fields["client_id"]!
        let now = clock.now()
        return state.withLock { state in
            let settings = state.settings
            if let expected = settings.clientID, expected != clientID { return .failure(.invalidClient) }
            if let expected = settings.clientSecret, expected != fields["client_secret"] {
                return .failure(.invalidClient)
            }
            return Result { () throws(TokenEndpointError) in
                let pair = try state.redeemCode(
                    fields["code"]!, clientID: clientID, redirectURI: fields["redirect_uri"]!, now: now)
                return (pair, settings.reportedExpiresIn)
            }
        }
    }

    private func refresh(_ form: QueryParameters) -> Result<(TokenPair, Int), TokenEndpointError> {
        let now = clock.now()
        return state.withLock { state in
            guard let refreshToken = form["refresh_token"].flatMap(nonEmpty) else {
                state.stats.refreshFailures += 1
                return .failure(.missing("refresh_token"))
            }
            return Result { () throws(TokenEndpointError) in
                (try state.refresh(refreshToken, now: now), state.settings.reportedExpiresIn)
            }
        }
    }

    private func nonEmpty(_ text: String) -> String? {
        text.isEmpty ? nil : text
    }
}
