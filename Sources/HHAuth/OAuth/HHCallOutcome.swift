import Foundation

/// Which call to HeadHunter a request is: the `call` label of `hh_auth_hh_requests_total`.
public enum HHCall: String, CaseIterable, Sendable {
    /// `POST /token` with the authorization code (a sign-in).
    case tokenCode = "token_code"
    /// `POST /token` with a refresh token (the broker, or a revocation of an expired pair).
    case tokenRefresh = "token_refresh"
    /// `GET /me`.
    case me
    /// `DELETE /oauth/token`.
    case revoke
}

/// How one call to HeadHunter ended, in a fixed set of classes: the `outcome` label of
/// `hh_auth_hh_requests_total`.
///
/// The classes follow HH's documented errors (hhru/api `docs/errors.md`, `../shared/docs/headhunter-oauth.md`):
/// the token endpoint answers 400 with an OAuth `error` (`invalid_grant` for a dead or early
/// refresh token or a used code, `invalid_client` for a wrong client id or secret,
/// `invalid_request`/`unsupported_grant_type`), the API 400 `bad_argument`/`bad_user_agent`,
/// 403 for a refused access token (`oauth_error`: `token-expired`, `token-revoked`, …) or a
/// forbidden action, 429 when throttled and 5xx (`service_unavailable`) when down. Nothing in an
/// answer becomes a label value beyond picking one of these cases.
public enum HHCallOutcome: String, CaseIterable, Sendable {
    /// A 2xx answer.
    case ok
    /// 4xx with `"error":"invalid_grant"`.
    case invalidGrant = "invalid_grant"
    /// 4xx with `"error":"invalid_client"`.
    case invalidClient = "invalid_client"
    /// Any other 400 (`invalid_request`, `unsupported_grant_type`, `bad_argument`, `bad_user_agent`).
    case badRequest = "bad_request"
    /// Any other 401.
    case unauthorized
    /// Any other 403: HH refused the access token (expired, revoked) or the action.
    case forbidden
    /// 429.
    case rateLimited = "rate_limited"
    /// 5xx.
    case serverError = "server_error"
    /// Any other status (404, 409, a redirect, …).
    case otherStatus = "other_status"
    /// No answer within `HH_TIMEOUT_SECONDS`.
    case timeout
    /// No answer at all: refused, reset, DNS or TLS failure.
    case network

    /// The class of an HTTP answer. The body is read only for a 4xx (an OAuth `error`).
    init(status: Int, body: [UInt8]) {
        switch status {
        case 200..<300: self = .ok
        case 429: self = .rateLimited
        case 500..<600: self = .serverError
        case 400..<500:
            switch Self.oauthError(in: body) {
            case "invalid_grant": self = .invalidGrant
            case "invalid_client": self = .invalidClient
            default:
                switch status {
                case 400: self = .badRequest
                case 401: self = .unauthorized
                case 403: self = .forbidden
                default: self = .otherStatus
                }
            }
        default: self = .otherStatus
        }
    }

    /// The class of a call that got no HTTP answer (what ``HHTransport/send(_:)`` threw).
    init(noAnswer error: any Error) {
        self = (error as? HHTransportError)?.timedOut == true ? .timeout : .network
    }

    private struct ErrorAnswer: Decodable {
        let error: String?
    }

    private static func oauthError(in body: [UInt8]) -> String? {
        guard !body.isEmpty, body.count <= 64 * 1024 else { return nil }
        return (try? JSONDecoder().decode(ErrorAnswer.self, from: Data(body)))?.error
    }
}
