import HHStandIn
import Testing

@Suite("/_control API")
struct ControlAPITests {
    let standIn = StandInHarness()

    @Test func failWith500ForCountThenRecovers() {
        #expect(standIn.control("fail", #"{"endpoint":"token","mode":"500","count":2}"#).status == 200)
        let code = standIn.code()
        for _ in 0..<2 {
            let failed = standIn.exchange(code)
            #expect(failed.status == 500)
            #expect(text(failed) == #"{"error":"server_error"}"#)
        }
        #expect(standIn.exchange(code).status == 200)
    }

    @Test func failWithGarbageAnswers200WithNonJSON() {
        _ = standIn.control("fail", #"{"endpoint":"me","mode":"garbage"}"#)
        let access = standIn.signIn().access
        for _ in 0..<3 {
            let response = standIn.me(access)
            #expect(response.status == 200)
            #expect(!response.body.isEmpty)
            #expect(json(response).isEmpty)
        }
        _ = standIn.control("fail", #"{"endpoint":"me","mode":"none"}"#)
        #expect(json(standIn.me(access))["id"] as? String == "100000001")
    }

    @Test func failAllBreaksEveryEndpointButNotTheControlAPI() {
        _ = standIn.control("fail", #"{"endpoint":"all","mode":"500"}"#)
        #expect(standIn.authorize(query: "response_type=code").status == 500)
        #expect(standIn.me("x").status == 500)
        #expect(standIn.control("stats").status == 200)
        _ = standIn.control("reset")
        #expect(standIn.me("x").status == 403)
    }

    @Test func failRefusesUnknownMode() {
        let response = standIn.control("fail", #"{"endpoint":"token","mode":"explode"}"#)
        #expect(response.status == 400)
        #expect((json(response)["error"] as? String)?.contains("mode") == true)
    }

    @Test func statsCountCallsThatReachedHandlers() {
        let tokens = standIn.signIn()
        _ = standIn.authorize(
            query: "response_type=code&client_id=\(StandInHarness.clientID)&deny=1&redirect_uri=https://a.example/")
        _ = standIn.me(tokens.access)
        _ = standIn.me("bad")
        _ = standIn.refresh(tokens.refresh)  // too early: a failure
        _ = standIn.control("expire")
        let fresh = json(standIn.refresh(tokens.refresh))
        _ = standIn.revoke(fresh["access_token"] as? String ?? "")
        _ = standIn.send("GET", "/me", headers: [:])  // refused for User-Agent: not counted
        let stats = standIn.stats()
        #expect(stats["authorize"] as? Int == 2)
        #expect(stats["code_grants"] as? Int == 1)
        #expect(stats["refresh_grants"] as? Int == 1)
        #expect(stats["refresh_failures"] as? Int == 1)
        #expect(stats["me"] as? Int == 2)
        #expect(stats["revoke"] as? Int == 1)
        #expect(stats["active_access_tokens"] as? Int == 0)
    }

    @Test func activeAccessTokensCountsWorkingTokens() {
        _ = standIn.signIn()
        _ = standIn.signIn(asUser: "9")
        #expect(standIn.stats()["active_access_tokens"] as? Int == 2)
        standIn.clock.advance(seconds: Double(StandInSettings.hhTokenLifetimeSeconds))
        #expect(standIn.stats()["active_access_tokens"] as? Int == 0)
    }

    @Test func resetForgetsTokensCountersUsersAndConfig() {
        let tokens = standIn.signIn()
        _ = standIn.control("config", #"{"token_lifetime_seconds":5,"default_user_id":"31"}"#)
        _ = standIn.control("users", #"{"id":"31","first_name":"A","last_name":"B","email":"a@b.c"}"#)
        #expect(standIn.control("reset").status == 200)
        #expect(firstErrorValue(standIn.me(tokens.access)) == "bad_authorization")
        #expect(standIn.stats()["code_grants"] as? Int == 0)
        let response = standIn.exchange(standIn.code())
        #expect(json(response)["expires_in"] as? Int == 1_209_600)
        #expect(json(standIn.me(json(response)["access_token"] as? String)).keys.contains("id"))
        #expect(json(standIn.me(json(response)["access_token"] as? String))["id"] as? String == "100000001")
    }

    @Test func configAnswersTheSettingsInForce() {
        let response = standIn.control("config", #"{"code_lifetime_seconds":30}"#)
        let body = json(response)
        #expect(body["code_lifetime_seconds"] as? Int == 30)
        #expect(body["token_lifetime_seconds"] as? Int == 1_209_600)
        #expect(body["default_user_id"] as? String == "100000001")
        let code = standIn.code()
        standIn.clock.advance(seconds: 30)
        #expect(errorDescription(standIn.exchange(code)) == "code expired")
    }

    @Test func configRefusesUnknownFieldsAndBadValues() {
        #expect(standIn.control("config", #"{"token_lifetime":1}"#).status == 400)
        #expect(standIn.control("config", #"{"token_lifetime_seconds":0}"#).status == 400)
        #expect(standIn.control("config", #"{"token_lifetime_seconds":"1"}"#).status == 400)
        #expect(standIn.control("config", #"{"expires_in_offset_seconds":1}"#).status == 400)
        #expect(standIn.control("config", "not json").status == 400)
    }

    /// What `expires_in` says, not how long the token lives here: a client may hold a token as
    /// expired that HH still takes.
    @Test func expiresInOffsetChangesOnlyTheReportedLifetime() {
        #expect(standIn.control("config", #"{"expires_in_offset_seconds":-1209600}"#).status == 200)
        let response = standIn.exchange(standIn.code())
        #expect(json(response)["expires_in"] as? Int == 0)
        #expect(json(standIn.me(json(response)["access_token"] as? String))["id"] as? String == "100000001")
        #expect(standIn.control("config", #"{"expires_in_offset_seconds":0}"#).status == 200)
        #expect(json(standIn.exchange(standIn.code()))["expires_in"] as? Int == 1_209_600)
    }

    @Test func usersNeedsRequiredFields() {
        let response = standIn.control("users", #"{"id":"1","first_name":"A"}"#)
        #expect(response.status == 400)
        #expect(json(response)["error"] as? String == "field 'last_name' is required")
    }

    @Test func controlNeedsNoUserAgentAndChecksMethodAndPath() {
        #expect(standIn.send("GET", "/_control/stats", headers: [:]).status == 200)
        #expect(standIn.send("GET", "/_control/reset", headers: [:]).status == 405)
        #expect(standIn.send("POST", "/_control/nothing", headers: [:]).status == 404)
    }
}
