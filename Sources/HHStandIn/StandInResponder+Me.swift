import HTTPCore

extension StandInResponder {
    /// `GET /me`: the profile of the Bearer token's user, or HH's 403.
    func me(_ request: HTTPRequest) -> HTTPResponse {
        let now = clock.now()
        let outcome = state.withLock { state -> Result<UserProfile, AccessTokenProblem> in
            state.stats.me += 1
            return Result { () throws(AccessTokenProblem) in
                let pair = try state.validPair(accessToken: request.bearerToken, now: now)
                return state.profile(for: pair.userID)
            }
        }
        switch outcome {
        case .success(let profile): return ResponseBuilding.json(200, MeResponse(profile: profile))
        case .failure(let problem): return ResponseBuilding.forbidden(problem)
        }
    }

    /// `DELETE /oauth/token`: ends the Bearer token's pair (204), only while that token is good.
    func revoke(_ request: HTTPRequest) -> HTTPResponse {
        let now = clock.now()
        let outcome = state.withLock { state -> Result<Void, AccessTokenProblem> in
            state.stats.revoke += 1
            return Result { () throws(AccessTokenProblem) in
                try state.revoke(accessToken: request.bearerToken, now: now)
            }
        }
        switch outcome {
        case .success: return ResponseBuilding.noContent()
        case .failure(let problem): return ResponseBuilding.forbidden(problem)
        }
    }
}
