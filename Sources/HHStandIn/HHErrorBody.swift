/// HeadHunter's general error shape: `{"errors":[{"type","value"}],"description","request_id"}`,
/// with the legacy `oauth_error` on authorization failures.
struct HHErrorBody: Sendable, Encodable {
    struct Item: Sendable, Encodable {
        let type: String
        let value: String?
    }

    let requestID: String
    let description: String
    let errors: [Item]
    let oauthError: String?

    init(type: String, value: String?, description: String, oauthError: String? = nil) {
        self.requestID = SecureRandom.requestID()
        self.description = description
        self.errors = [Item(type: type, value: value)]
        self.oauthError = oauthError
    }

    /// The 403 of an API call whose Bearer token is not (or no longer) good.
    init(_ problem: AccessTokenProblem) {
        self.init(type: "oauth", value: problem.errorValue, description: "Forbidden", oauthError: problem.oauthError)
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case description
        case errors
        case oauthError = "oauth_error"
    }
}
