/// The HeadHunter endpoints the stand-in imitates.
enum HHRoute: Sendable, Equatable {
    case authorize, token, me, revoke

    /// What a request asks for: a route, a known path with the wrong method, or nothing at all.
    enum Match: Sendable, Equatable {
        case route(HHRoute)
        case methodNotAllowed
        case notFound
    }

    static func match(method: String, path: String) -> Match {
        switch (path, method) {
        case ("/oauth/authorize", "GET"): .route(.authorize)
        // `/oauth/token` is HH's older (deprecated) token address; both still answer.
        case ("/token", "POST"), ("/oauth/token", "POST"): .route(.token)
        case ("/oauth/token", "DELETE"): .route(.revoke)
        case ("/me", "GET"): .route(.me)
        case ("/oauth/authorize", _), ("/token", _), ("/oauth/token", _), ("/me", _): .methodNotAllowed
        default: .notFound
        }
    }

    /// The name `/_control/fail` uses for this endpoint.
    var failingEndpoint: FailingEndpoint {
        switch self {
        case .authorize: .authorize
        case .token: .token
        case .me: .me
        case .revoke: .revoke
        }
    }
}
