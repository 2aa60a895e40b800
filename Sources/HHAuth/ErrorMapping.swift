import HTTPCore

/// The one place domain errors become HTTP answers. Anything not listed here is a 500.
enum ErrorMapping {
    static let hhUnavailable = "HeadHunter is unavailable, try again later"
    static let returnTargetRefused =
        "rd must be a path on this site or an http(s) URL on a host of ALLOWED_REDIRECT_HOSTS"
    /// Sent with every 401 of the admin API, so clients know to answer with HTTP Basic.
    static let basicChallenge = HTTPHeader("WWW-Authenticate", "Basic realm=\"hh-auth\"")

    static func httpError(for error: any Error) -> HTTPError? {
        switch error {
        case let error as HTTPError:
            return error
        case let error as SessionError:
            switch error {
            case .invalid: return HTTPError(401, "Invalid session")
            case .expired: return HTTPError(401, "Session expired, please log in again")
            }
        case let error as TokenRefreshError:
            let detail =
                switch error {
                case .inProgressElsewhere: "Another hh-auth process is refreshing this token, try again shortly"
                case .stillInProgress, .superseded: "A refresh of this token is still in progress, try again shortly"
                }
            return HTTPError(503, detail, headers: [HTTPHeader("Retry-After", "2")])
        case let error as HHClientError:
            if error == .busy {
                return HTTPError(
                    503, "Too many requests are waiting on HeadHunter, try again later",
                    headers: [HTTPHeader("Retry-After", "5")])
            }
            return HTTPError(502, hhUnavailable)
        case let error as AdminError:
            switch error {
            case .invalidUserID: return HTTPError(422, "hh_user_id must be 1 to 20 digits")
            case .commentTooLong:
                return HTTPError(422, "comment must be at most \(Administration.maxCommentLength) characters")
            case .invalidGroupName: return HTTPError(422, "groups must be \(WhitelistGroups.nameRule)")
            case .tooManyGroups: return HTTPError(422, "groups must hold at most \(WhitelistGroups.maxCount) names")
            }
        case let error as SessionAccessError:
            let noStore = HTTPHeader("Cache-Control", "no-store")
            switch error {
            case .notInGroup: return HTTPError(403, "Not allowed for this location", headers: [noStore])
            case .notCalledByNginx: return HTTPError.notFound
            case .crossSiteRequest: return HTTPError(403, "Cross-site request refused")
            case .sessionNotFound: return HTTPError(404, "Session not found")
            }
        case let error as LoginError:
            return answer(to: error)
        case let error as AdminAuthenticationError:
            switch error {
            case .invalidCredentials:
                return HTTPError(401, "Invalid credentials", headers: [basicChallenge])
            case .tooManyFailures(let seconds):
                return HTTPError(
                    429, "Too many failed login attempts, try again later",
                    headers: [HTTPHeader("Retry-After", String(seconds))])
            case .unavailable(let seconds):
                return HTTPError(
                    503, "Service temporarily unavailable, try again later",
                    headers: [HTTPHeader("Retry-After", String(seconds))])
            }
        case let error as StorageFailure:
            return answer(to: error)
        case let error as any StorageFailureConvertible:
            return answer(to: error.storageFailure)
        default:
            return nil
        }
    }

    /// A storage failure that may pass is a 503 with `Retry-After`; any other is a bug (500).
    private static func answer(to failure: StorageFailure) -> HTTPError? {
        guard failure.isTransient else { return nil }
        return HTTPError(
            503, "Service temporarily unavailable, try again later", headers: [HTTPHeader("Retry-After", "5")])
    }

    private static func answer(to error: LoginError) -> HTTPError {
        switch error {
        case .redirectNotAllowed: HTTPError(400, "redirect_uri is not allowed")
        case .returnTargetNotAllowed: HTTPError(400, returnTargetRefused)
        case .returnTargetWithRedirect: HTTPError(400, "Use either rd or redirect_uri, not both")
        case .invalidState: HTTPError(400, "Invalid or expired state parameter")
        case .browserMismatch:
            HTTPError(400, "This sign-in was not started in this browser (or its cookie is gone), please log in again")
        case .accessDenied: HTTPError(400, "Authorization was denied")
        case .malformedCode: HTTPError(400, "Missing or malformed authorization code")
        case .codeRejected: HTTPError(400, "HeadHunter rejected the authorization code, please log in again")
        case .notWhitelisted(let hhUserID): HTTPError(403, "User \(hhUserID) is not allowed to access this service")
        case .tooManyFromClient(let seconds):
            HTTPError(
                429, "Too many sign-ins from this address, try again later",
                headers: [HTTPHeader("Retry-After", String(seconds))])
        case .tooManyAtOnce:
            HTTPError(503, "Too many sign-ins at once, try again shortly", headers: [HTTPHeader("Retry-After", "2")])
        case .invalidExchangeCode: HTTPError(400, "Invalid or expired exchange code")
        }
    }

    /// What the log says caused a failure: which call and what it answered, or the storage
    /// engine's own codes and message (``StorageFailure/cause``). Never SQL (GRDB's own
    /// description quotes the statement) and never client text unescaped.
    static func cause(of error: any Error) -> String {
        let text: String
        if let failure = error as? StorageFailure {
            text = failure.cause
        } else if let error = error as? any StorageFailureConvertible {
            text = error.storageFailure.cause
        } else {
            text = String(describing: error)
        }
        return LogText.safe(text, limit: 512)
    }
}
