import Foundation
import HTTPCore

extension StandInResponder {
    /// The control API under `/_control/`: JSON in, JSON out, no User-Agent needed. Refusals are
    /// 400 `{"error": "<why>"}`; an unknown control path is 404, a wrong method 405.
    func control(_ request: HTTPRequest) -> HTTPResponse {
        let action = String(request.path.dropFirst("/_control/".count))
        let expectedMethod = action == "stats" ? "GET" : "POST"
        let handlers: [String: (HTTPRequest) throws(ControlRequests.Refusal) -> HTTPResponse] = [
            "reset": reset, "config": configure, "users": addUser, "deactivate": deactivate,
            "expire": expire, "fail": injectFailure, "stats": stats,
        ]
        guard let handler = handlers[action] else {
            return ResponseBuilding.controlError("unknown control endpoint /_control/\(action)", status: 404)
        }
        guard request.method == expectedMethod else {
            return ResponseBuilding.controlError("use \(expectedMethod) for /_control/\(action)", status: 405)
        }
        do {
            return try handler(request)
        } catch {
            return ResponseBuilding.controlError(error.message)
        }
    }

    /// Forgets tokens, codes, counters, failures and added users; back to the start-up settings.
    private func reset(_ request: HTTPRequest) -> HTTPResponse {
        state.withLock { $0 = StandInState(settings: initialSettings) }
        releaseHangingRequests()
        return ok()
    }

    private func configure(_ request: HTTPRequest) throws(ControlRequests.Refusal) -> HTTPResponse {
        let change = try ControlRequests.decode(
            ControlRequests.ConfigChange.self, from: request.body,
            allowedKeys: ControlRequests.ConfigChange.CodingKeys.allCases.map(\.rawValue))
        if let seconds = change.tokenLifetimeSeconds, seconds < 1 {
            throw .init("token_lifetime_seconds must be at least 1")
        }
        if let seconds = change.codeLifetimeSeconds, seconds < 1 {
            throw .init("code_lifetime_seconds must be at least 1")
        }
        if let seconds = change.expiresInOffsetSeconds, seconds > 0 {
            throw .init("expires_in_offset_seconds must be zero or less")
        }
        if let userID = change.defaultUserID, !UserProfile.isAcceptableID(userID) {
            throw .init("default_user_id must be 1-64 letters, digits, '-' or '_'")
        }
        let settings = state.withLock { state in
            if let seconds = change.tokenLifetimeSeconds { state.settings.tokenLifetimeSeconds = seconds }
            if let seconds = change.codeLifetimeSeconds { state.settings.codeLifetimeSeconds = seconds }
            if let seconds = change.expiresInOffsetSeconds { state.settings.expiresInOffsetSeconds = seconds }
            if let userID = change.defaultUserID { state.settings.defaultUserID = userID }
            return state.settings
        }
        return ResponseBuilding.json(200, CurrentConfig(settings))
    }

    private func addUser(_ request: HTTPRequest) throws(ControlRequests.Refusal) -> HTTPResponse {
        let profile = try ControlRequests.decode(
            ControlRequests.NewUser.self, from: request.body,
            allowedKeys: UserProfile.CodingKeys.allCases.map(\.rawValue))
        guard UserProfile.isAcceptableID(profile.id) else {
            throw .init("id must be 1-64 letters, digits, '-' or '_'")
        }
        state.withLock { $0.profiles[profile.id] = profile }
        return ResponseBuilding.json(200, MeResponse(profile: profile))
    }

    private func deactivate(_ request: HTTPRequest) throws(ControlRequests.Refusal) -> HTTPResponse {
        let body = try ControlRequests.decode(
            ControlRequests.Deactivation.self, from: request.body,
            allowedKeys: ControlRequests.Deactivation.CodingKeys.allCases.map(\.rawValue))
        let count = state.withLock { $0.deactivate(userID: body.userID) }
        return ResponseBuilding.json(200, ["deactivated_pairs": count])
    }

    private func expire(_ request: HTTPRequest) throws(ControlRequests.Refusal) -> HTTPResponse {
        _ = try ControlRequests.decode([String: Int].self, from: request.body, allowedKeys: [])
        let now = clock.now()
        let count = state.withLock { $0.expireAccessTokens(now: now) }
        return ResponseBuilding.json(200, ["expired_access_tokens": count])
    }

    private func injectFailure(_ request: HTTPRequest) throws(ControlRequests.Refusal) -> HTTPResponse {
        let body = try ControlRequests.decode(
            ControlRequests.FailureInjection.self, from: request.body,
            allowedKeys: ControlRequests.FailureInjection.CodingKeys.allCases.map(\.rawValue))
        guard let endpoint = FailingEndpoint(rawValue: body.endpoint) else {
            throw .init("endpoint must be one of token, me, revoke, authorize, all")
        }
        if let count = body.count, count < 1 { throw .init("count must be at least 1") }
        let mode = try Self.failureMode(body)
        state.withLock { state in
            if let mode {
                state.failures.inject(mode, into: endpoint, count: body.count)
            } else {
                state.failures.clear(endpoint)
            }
        }
        return ok()
    }

    /// What a `/_control/fail` body asks for; `nil` for `mode: none`. `hang_seconds` defaults to
    /// 30; `delay_seconds` is required with `delay` and refused with any other mode.
    private static func failureMode(
        _ body: ControlRequests.FailureInjection
    ) throws(ControlRequests.Refusal) -> FailureMode? {
        let hangSeconds = body.hangSeconds ?? 30
        guard hangSeconds > 0, hangSeconds <= 3600 else { throw .init("hang_seconds must be in (0, 3600]") }
        if body.delaySeconds != nil, body.mode != "delay" { throw .init("delay_seconds applies to mode delay only") }
        switch body.mode {
        case "500": return .serverError
        case "garbage": return .garbage
        case "hang": return .hang(seconds: hangSeconds)
        case "delay":
            guard let seconds = body.delaySeconds else { throw .init("mode delay needs delay_seconds") }
            guard seconds > 0, seconds <= 3600 else { throw .init("delay_seconds must be in (0, 3600]") }
            return .delay(seconds: seconds)
        case "none": return nil
        default: throw .init("mode must be one of 500, garbage, hang, delay, none")
        }
    }

    private func stats(_ request: HTTPRequest) -> HTTPResponse {
        let now = clock.now()
        var current = state.withLock { $0.currentStats(now: now) }
        current.inFlight = inFlight.load(ordering: .sequentiallyConsistent)
        return ResponseBuilding.json(200, current)
    }

    private func ok() -> HTTPResponse {
        ResponseBuilding.json(200, ["ok": true])
    }
}

/// The answer of `POST /_control/config`: the settings now in force.
private struct CurrentConfig: Encodable {
    let tokenLifetimeSeconds: Int
    let codeLifetimeSeconds: Int
    let defaultUserID: String

    init(_ settings: StandInSettings) {
        tokenLifetimeSeconds = settings.tokenLifetimeSeconds
        codeLifetimeSeconds = settings.codeLifetimeSeconds
        defaultUserID = settings.defaultUserID
    }

    enum CodingKeys: String, CodingKey {
        case tokenLifetimeSeconds = "token_lifetime_seconds"
        case codeLifetimeSeconds = "code_lifetime_seconds"
        case defaultUserID = "default_user_id"
    }
}
