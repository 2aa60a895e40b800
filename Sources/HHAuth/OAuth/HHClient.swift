import Foundation
import HTTPCore
import Logging
import WorkerThreads

/// HH's token answer.
public struct HHTokenPair: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresIn: Double
}

/// The parts of `GET /me` we keep.
public struct HHProfile: Sendable, Equatable, Decodable {
    public var id: String
    public var firstName: String?
    public var lastName: String?
    public var middleName: String?
    public var email: String?

    enum CodingKeys: String, CodingKey {
        case id, email
        case firstName = "first_name"
        case lastName = "last_name"
        case middleName = "middle_name"
    }

    public init(
        id: String, firstName: String? = nil, lastName: String? = nil, middleName: String? = nil, email: String? = nil
    ) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.middleName = middleName
        self.email = email
    }

    /// "Имя Отчество Фамилия", skipping parts HH left empty.
    public var fullName: String {
        [firstName, middleName, lastName].compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

/// How a call to HH failed, in the terms our handlers act on.
public struct HHClientError: Error, Equatable, Sendable, CustomStringConvertible {
    enum Kind: Equatable, Sendable {
        case unavailable(String)
        case invalidGrant(GrantRefusal)
        case rejectedAccessToken(String)
        case busy
    }
    let kind: Kind

    /// No usable answer: down, timed out, 5xx, or a body we could not read.
    public static func unavailable(_ reason: String) -> Self { Self(kind: .unavailable(reason)) }
    /// HH refused the grant (`error_description` says why).
    public static func invalidGrant(_ refusal: GrantRefusal) -> Self { Self(kind: .invalidGrant(refusal)) }
    /// HH refused the access token itself (`oauth_error`: `token-expired`, `token-revoked`, …).
    public static func rejectedAccessToken(_ oauthError: String) -> Self {
        Self(kind: .rejectedAccessToken(oauthError))
    }
    /// Too many workers are already waiting on HH.
    public static let busy = Self(kind: .busy)

    /// Why HH refused the grant, when it did.
    public var grantError: GrantRefusal? {
        if case .invalidGrant(let refusal) = kind { return refusal }
        return nil
    }

    public var rejectedAccessToken: String? {
        if case .rejectedAccessToken(let oauthError) = kind { return oauthError }
        return nil
    }

    public var description: String {
        switch kind {
        case .unavailable(let reason): "HH unavailable: \(reason)"
        case .invalidGrant(let refusal): "HH invalid_grant: \(LogText.safe(refusal.description, limit: 200))"
        case .rejectedAccessToken(let oauthError): "HH rejected the access token: \(oauthError)"
        case .busy: "too many calls waiting on HH"
        }
    }
}

/// What revoking a pair came to.
public enum RevocationOutcome: Sendable, Equatable {
    case revoked
    /// HH holds nothing live for the pair (spent, revoked or deactivated already).
    case nothingLive
    /// Not revoked this time; `replacement` is a pair HH issued meanwhile (see
    /// ``HHClient/revoke(_:)``), which is now the one to revoke.
    case failed(replacement: HHTokenRecord?)
}

/// HeadHunter's OAuth and `/me` endpoints over an ``HHTransport``.
public struct HHClient: Sendable {
    let settings: Configuration.HeadHunter
    let transport: any HHTransport
    /// Worker threads waiting on HH, directly or (``TokenBroker``) on another thread's refresh.
    let limiter: ConcurrencyLimit
    let clock: any WallClock
    let logger: Logger
    /// Counts and times every call (``send(_:call:slotHeld:)``); `nil` outside the service.
    let metrics: HHCallMetrics?

    public init(
        settings: Configuration.HeadHunter, transport: any HHTransport, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "hh-auth")
    ) {
        self.init(settings: settings, transport: transport, clock: clock, logger: logger, metrics: nil)
    }

    /// `metrics`: the service's; its ``ServiceMetrics/rateLimits`` count the calls refused for want
    /// of a place among `HH_MAX_CONCURRENT_CALLS`.
    init(
        settings: Configuration.HeadHunter, transport: any HHTransport, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "hh-auth"), metrics: ServiceMetrics?
    ) {
        self.settings = settings
        self.transport = transport
        self.clock = clock
        self.logger = logger
        self.metrics = metrics?.hhCalls
        self.limiter = ConcurrencyLimit(
            settings.maxConcurrentCalls, refusals: metrics?.rateLimits.counter(.hhConcurrency))
    }

    public func authorizeURL(state: String) -> String {
        let separator = settings.authorizeURL.contains("?") ? "&" : "?"
        return settings.authorizeURL + separator
            + QueryParameters.encode([
                ("response_type", "code"), ("client_id", settings.clientID), ("state", state),
                ("redirect_uri", settings.redirectURI),
            ])
    }

    public func exchange(code: String) throws(HHClientError) -> HHTokenPair {
        try tokenCall(
            [
                ("grant_type", "authorization_code"), ("client_id", settings.clientID),
                ("client_secret", settings.clientSecret), ("code", code), ("redirect_uri", settings.redirectURI),
            ], call: .tokenCode)
    }

    public func refresh(refreshToken: String) throws(HHClientError) -> HHTokenPair {
        try refresh(refreshToken: refreshToken, slotHeld: false)
    }

    /// `slotHeld`: the caller already counts in ``limiter`` (a refresh leader takes its place before
    /// the waiters can fill it).
    func refresh(refreshToken: String, slotHeld: Bool) throws(HHClientError) -> HHTokenPair {
        try tokenCall(
            [("grant_type", "refresh_token"), ("refresh_token", refreshToken)], call: .tokenRefresh, slotHeld: slotHeld)
    }

    public func me(accessToken: String) throws(HHClientError) -> HHProfile {
        let response = try send(
            HHHTTPRequest(method: "GET", url: settings.apiURL + "/me", headers: bearer(accessToken)), call: .me)
        guard response.status == 200 else {
            throw .unavailable("/me answered \(response.status)\(HHAnswerSummary.of(response.body))")
        }
        guard let profile = try? JSONDecoder().decode(HHProfile.self, from: Data(response.body)),
            HHUserID.isValid(profile.id)
        else { throw .unavailable("/me answered an unreadable body") }
        return profile
    }

    /// `DELETE /oauth/token`: HH ends the access token and the refresh token with it.
    public func revoke(accessToken: String) throws(HHClientError) {
        let response = try send(
            HHHTTPRequest(method: "DELETE", url: settings.apiURL + "/oauth/token", headers: bearer(accessToken)),
            call: .revoke)
        if (200..<300).contains(response.status) { return }
        if response.status == 403,
            let answer = try? JSONDecoder().decode(OAuthErrorAnswer.self, from: Data(response.body)),
            let oauthError = answer.oauth_error
        {
            throw .rejectedAccessToken(oauthError)
        }
        throw .unavailable("revoke answered \(response.status)\(HHAnswerSummary.of(response.body))")
    }

    /// Revokes a pair our side has let go of (``RevocationQueue``); never throws.
    ///
    /// HH revokes only through a live access token, and the refresh token dies with it. When the
    /// access token has expired, the pair is refreshed once and the new access token revoked:
    /// otherwise the unused refresh token would stay valid at HH for good.
    public func revoke(_ record: HHTokenRecord) -> RevocationOutcome {
        var accessToken = record.accessToken
        var replacement: HHTokenRecord?
        do {
            if record.expiresAt <= clock.now() {
                do {
                    let pair = try refresh(refreshToken: record.refreshToken)
                    accessToken = pair.accessToken
                    replacement = HHTokenRecord(
                        userID: record.userID, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
                        expiresAt: clock.now().addingTimeInterval(pair.expiresIn), version: 0)
                } catch let error where error.grantError == .tokenNotExpired {
                    // Our clock ran ahead of HH's: the access token we hold is still the live one.
                }
            }
            try revoke(accessToken: accessToken)
            return .revoked
        } catch let error
            where error.grantError?.refreshTokenIsDead == true
            || error.rejectedAccessToken.map({ $0 != "token-expired" }) == true
        {
            // Spent, deactivated or revoked already: HH holds nothing live for this pair.
            return .nothingLive
        } catch {
            logger.warning(
                "could not revoke an HH token pair yet; it stays queued",
                metadata: ["user": "\(record.userID)", "error": "\(LogText.safe(String(describing: error)))"])
            return .failed(replacement: replacement)
        }
    }

    private struct TokenAnswer: Decodable {
        let access_token: String
        let refresh_token: String
        let expires_in: Double?
    }

    private struct OAuthErrorAnswer: Decodable {
        let oauth_error: String?
    }

    private struct ErrorAnswer: Decodable {
        let error: String?
        let error_description: String?
    }

    private func tokenCall(_ form: [(String, String)], call: HHCall, slotHeld: Bool = false) throws(HHClientError)
        -> HHTokenPair
    {
        var headers = ["Content-Type": "application/x-www-form-urlencoded"]
        headers["User-Agent"] = settings.userAgent
        headers["HH-User-Agent"] = settings.userAgent
        let response = try send(
            HHHTTPRequest(
                method: "POST", url: settings.tokenURL, headers: headers, body: Array(QueryParameters.encode(form).utf8)
            ),
            call: call, slotHeld: slotHeld)
        if response.status == 200 {
            guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: Data(response.body)),
                !answer.access_token.isEmpty, !answer.refresh_token.isEmpty
            else { throw .unavailable("token endpoint answered an unreadable body") }
            return HHTokenPair(
                accessToken: answer.access_token, refreshToken: answer.refresh_token,
                expiresIn: answer.expires_in ?? 1_209_600)
        }
        if (400..<500).contains(response.status),
            let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: Data(response.body)),
            answer.error == "invalid_grant"
        {
            throw .invalidGrant(GrantRefusal(description: answer.error_description ?? ""))
        }
        throw .unavailable("token endpoint answered \(response.status)\(HHAnswerSummary.of(response.body))")
    }

    private func bearer(_ token: String) -> [String: String] {
        ["Authorization": "Bearer \(token)", "User-Agent": settings.userAgent, "HH-User-Agent": settings.userAgent]
    }

    /// Every call to HH passes here, and is counted and timed here once (a call refused for want of
    /// a place never reached HH: it counts as rate-limited instead).
    private func send(_ request: HHHTTPRequest, call: HHCall, slotHeld: Bool = false) throws(HHClientError)
        -> HHHTTPResponse
    {
        if !slotHeld {
            guard limiter.tryAcquire() else { throw .busy }
        }
        defer { if !slotHeld { limiter.release() } }
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            // Up to the HH timeout: let another worker serve requests meanwhile.
            let response = try BlockingCall.run { try transport.send(request) }
            metrics?.record(
                call, HHCallOutcome(status: response.status, body: response.body),
                nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
            return response
        } catch {
            metrics?.record(
                call, HHCallOutcome(noAnswer: error), nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
            // Which call: the log line must say what did not answer, not only why.
            throw .unavailable("\(request.method) \(request.url) got no answer: \(error)")
        }
    }
}
