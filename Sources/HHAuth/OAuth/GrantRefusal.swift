import Foundation

/// Why HH's token endpoint refused a grant: its `invalid_grant` answer, by the `error_description`
/// HH documents (`../shared/docs/headhunter-oauth.md`, hhru/api `docs/errors.md`).
///
/// Parsed where the answer is read, so the domain switches on cases. A wording HH has not
/// documented is ``unknown(_:)``: it may be a passing fault, so nothing treats it as the refresh
/// token's end (which would end every session of the user).
public enum GrantRefusal: Sendable, Equatable, CustomStringConvertible {
    /// `token not expired`: refreshed too early; the access token we hold is still the live one.
    case tokenNotExpired
    /// `token has already been refreshed`: the refresh token was spent, by another refresh or a reuse.
    case tokenAlreadyRefreshed
    /// `token deactivated`: the user changed their password.
    case tokenDeactivated
    /// `token was revoked`.
    case tokenRevoked
    /// `bad token`: HH does not know the token.
    case badToken
    /// `code has already been used` (the code grant).
    case codeAlreadyUsed
    /// `code expired` (the code grant).
    case codeExpired
    /// Any other description, kept for the log.
    case unknown(String)

    /// Matched after trimming and lowercasing: a change of case or a stray space in HH's answer must
    /// not turn a dead token into an ``unknown(_:)`` one that keeps being refreshed.
    public init(description: String) {
        self =
            switch description.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
            case "token not expired": .tokenNotExpired
            case "token has already been refreshed": .tokenAlreadyRefreshed
            case "token deactivated": .tokenDeactivated
            case "token was revoked": .tokenRevoked
            case "bad token": .badToken
            case "code has already been used": .codeAlreadyUsed
            case "code expired": .codeExpired
            default: .unknown(description)
            }
    }

    /// HH's own words.
    public var description: String {
        switch self {
        case .tokenNotExpired: "token not expired"
        case .tokenAlreadyRefreshed: "token has already been refreshed"
        case .tokenDeactivated: "token deactivated"
        case .tokenRevoked: "token was revoked"
        case .badToken: "bad token"
        case .codeAlreadyUsed: "code has already been used"
        case .codeExpired: "code expired"
        case .unknown(let description): description
        }
    }

    /// HH holds nothing live behind the refresh token any more: it was spent, deactivated or
    /// revoked, or HH does not know it.
    public var refreshTokenIsDead: Bool {
        switch self {
        case .tokenAlreadyRefreshed, .tokenDeactivated, .tokenRevoked, .badToken: true
        case .tokenNotExpired, .codeAlreadyUsed, .codeExpired, .unknown: false
        }
    }
}
